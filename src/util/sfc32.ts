// The one seeded generator of Retort: sfc32 (Chris Doty-Humphrey's small fast chaotic generator,
// from PractRand), whose whole state is four 32-bit words, so it can be saved and restored
// exactly. Every seeded random choice (search proposals, training samplers, generated data) draws
// from this step; callers differ only in how they turn their seeds into the first state.
// Math.random is never used for anything that must repeat.

export type Sfc32State = [number, number, number, number];

/** splitmix32's finaliser of x + golden ratio: nearby inputs give unrelated outputs. */
export function mix32(x: number): number {
  let z = (x + 0x9e3779b9) | 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

/** splitmix32 started at `seed`: a stream of well-mixed 32-bit words (to fill a state). */
export function splitmix32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    const out = mix32(s);
    s = (s + 0x9e3779b9) >>> 0;
    return out;
  };
}

/** Draws that sfc32 discards after seeding, so that similar states give unrelated streams. */
const WARM_UP = 12;

export class Sfc32 {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  /** Seeded through splitmix32 (all four words), then warmed up. */
  constructor(seed: number) {
    const next = splitmix32(seed);
    this.a = next();
    this.b = next();
    this.c = next();
    this.d = next();
    this.warmUp();
  }

  /** A generator continuing exactly from a saved state (no warm-up). */
  static fromState<T extends Sfc32>(this: new (seed: number) => T, state: Sfc32State): T {
    const rng = new this(0);
    rng.setState(state);
    return rng;
  }

  /** The next 32-bit word, uniform on [0, 2^32). */
  nextUint32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform on [0, 1) with 32 bits of randomness. */
  next(): number {
    return this.nextUint32() / 4294967296;
  }

  state(): Sfc32State {
    return [this.a >>> 0, this.b >>> 0, this.c >>> 0, this.d >>> 0];
  }

  setState(state: Sfc32State): void {
    if (!Array.isArray(state) || state.length !== 4 || !state.every((w) => Number.isInteger(w) && w >= 0 && w <= 0xffffffff)) {
      throw new Error(`invalid generator state ${JSON.stringify(state)}`);
    }
    const [a, b, c, d] = state;
    [this.a, this.b, this.c, this.d] = [a | 0, b | 0, c | 0, d | 0];
  }

  /** Replaces the state by the given words and warms up (for callers with their own seeding). */
  protected reseed(state: Sfc32State): void {
    this.setState(state);
    this.warmUp();
  }

  private warmUp(): void {
    for (let i = 0; i < WARM_UP; i++) this.nextUint32();
  }
}
