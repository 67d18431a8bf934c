// Seeded batch sampling over one or several sources (e.g. the tasks of a training mixture).
// Each source is walked in a fresh random order every epoch, so within an epoch no item repeats.
// 'mixed' batches pick each item's source at random (probability ∝ weight); 'grouped' batches pick
// one source per batch. The whole position is a small JSON-able state, saved with checkpoints.

import { deriveSeed, Rng, type RngState } from './rng.js';

export interface SampleSource {
  name: string;
  size: number;
  /** Relative sampling weight; default: the source's size (every item equally likely). */
  weight?: number;
}

/** One sampled item: `index` within `sources[source]`. */
export interface SampleRef {
  source: number;
  index: number;
}

export interface SamplerOptions {
  /** The sources, or a single source's size. */
  sources: SampleSource[] | number;
  batchSize: number;
  seed: number;
  mode?: 'mixed' | 'grouped';
}

export interface SamplerState {
  format: 1;
  rng: RngState;
  /** Per source: which epoch's order is being walked and how far. */
  cursors: { epoch: number; position: number }[];
  batches: number;
}

export class BatchSampler {
  readonly sources: SampleSource[];
  readonly batchSize: number;
  readonly mode: 'mixed' | 'grouped';
  private readonly seed: number;
  private readonly weights: number[];
  private readonly total: number;
  private rng: Rng;
  private cursors: { epoch: number; position: number }[];
  private orders: (Int32Array | undefined)[];
  private batches = 0;

  constructor(opts: SamplerOptions) {
    this.sources = typeof opts.sources === 'number' ? [{ name: 'data', size: opts.sources }] : opts.sources.map((s) => ({ ...s }));
    if (this.sources.length === 0) throw new Error('the sampler needs at least one source');
    for (const s of this.sources) {
      if (!Number.isInteger(s.size) || s.size < 0) throw new Error(`source "${s.name}": size must be a non-negative integer, got ${s.size}`);
      if (s.weight !== undefined && !(s.weight >= 0 && Number.isFinite(s.weight))) throw new Error(`source "${s.name}": weight must be a finite number >= 0, got ${s.weight}`);
      if ((s.weight ?? s.size) > 0 && s.size === 0) throw new Error(`source "${s.name}" is empty but has weight ${s.weight}`);
    }
    if (!Number.isInteger(opts.batchSize) || opts.batchSize < 1) throw new Error(`batchSize must be a positive integer, got ${opts.batchSize}`);
    this.weights = this.sources.map((s) => s.weight ?? s.size);
    this.total = this.weights.reduce((a, b) => a + b, 0);
    if (!(this.total > 0)) throw new Error('the sampler\'s sources are all empty or weigh nothing');
    this.batchSize = opts.batchSize;
    this.mode = opts.mode ?? 'mixed';
    this.seed = opts.seed >>> 0;
    this.rng = new Rng(deriveSeed(this.seed, 0x5a3));
    this.cursors = this.sources.map(() => ({ epoch: 0, position: 0 }));
    this.orders = this.sources.map(() => undefined);
  }

  /** The next batch of item references. */
  next(): SampleRef[] {
    const batch: SampleRef[] = [];
    const grouped = this.mode === 'grouped' ? this.pickSource() : -1;
    for (let i = 0; i < this.batchSize; i++) {
      const source = grouped >= 0 ? grouped : this.pickSource();
      batch.push({ source, index: this.take(source) });
    }
    this.batches++;
    return batch;
  }

  /** For a single source: the next batch as plain indices. */
  nextIndices(): number[] {
    return this.next().map((r) => r.index);
  }

  /** How many batches have been drawn. */
  get drawn(): number {
    return this.batches;
  }

  state(): SamplerState {
    return { format: 1, rng: this.rng.state(), cursors: this.cursors.map((c) => ({ ...c })), batches: this.batches };
  }

  restore(state: SamplerState): void {
    if (state?.format !== 1 || !Array.isArray(state.cursors) || state.cursors.length !== this.sources.length) {
      throw new Error(`sampler state does not match this sampler (${this.sources.length} sources)`);
    }
    for (const [i, c] of state.cursors.entries()) {
      const source = this.sources[i]!; // as many cursors as sources, checked above
      if (!Number.isInteger(c.epoch) || c.epoch < 0 || !Number.isInteger(c.position) || c.position < 0 || c.position > source.size) {
        throw new Error(`sampler state: invalid cursor ${JSON.stringify(c)} for source "${source.name}" of size ${source.size}`);
      }
    }
    this.rng = Rng.fromState(state.rng);
    this.cursors = state.cursors.map((c) => ({ epoch: c.epoch, position: c.position }));
    this.orders = this.sources.map(() => undefined);
    this.batches = state.batches;
  }

  private pickSource(): number {
    if (this.sources.length === 1) return 0;
    let x = this.rng.next() * this.total;
    for (const [i, w] of this.weights.entries()) {
      if (x < w) return i;
      x -= w;
    }
    // Rounding at the top end: the last source with any weight (the total is positive, so one has).
    for (let i = this.weights.length - 1; ; i--) if (this.weights[i]! > 0) return i;
  }

  private take(source: number): number {
    // `source` comes from pickSource: an index of the sources, which have one cursor each.
    const cursor = this.cursors[source]!;
    const size = this.sources[source]!.size;
    if (cursor.position >= size) {
      cursor.epoch++;
      cursor.position = 0;
      this.orders[source] = undefined;
    }
    let order = this.orders[source];
    if (!order) {
      // Derived from (seed, source, epoch) alone, so a restored state needs no stored permutation.
      order = Int32Array.from({ length: size }, (_, i) => i);
      new Rng(deriveSeed(this.seed, source, cursor.epoch)).shuffle(order);
      this.orders[source] = order;
    }
    return order[cursor.position++]!; // position < size, the order's length
  }
}
