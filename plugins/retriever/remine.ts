// Re-mining negatives while the retriever trains (ANCE-style). Every `every` optimizer steps each
// task's pool is encoded with the current weights and put into a vector index; each training
// query's top `depth` pool rows are retrieved from it, and its negatives are mined again from
// those with the stage's strategy (window, SimANS, …). The miner ranks by the retriever's own
// logits cos/τ (s₊ is the retriever's logit of its best teacher positive); the positives stay the
// teacher's. In the group a re-mined negative keeps its teacher score when the teacher scored it,
// and gets the −100 penalty otherwise, as LLM-R's random fillers do: the KL target still says it
// is worse than the positive.
//
// Each refresh is written to the node's scratch directory before training goes on, so a node
// resumed from a checkpoint trains on the very negatives it had, bit for bit.

import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { NodeFailure } from '../../src/plugin/api.js';
import { PENALTY_SCORE, type ScoredCandidate } from '../../src/lib/llmr/groups.js';
import { createMiner } from '../../src/lib/negatives/mine.js';
import { remineNegatives, type NegativesParam } from '../../src/lib/negatives/for-examples.js';
import { deriveSeed } from '../../src/lib/nn/train/rng.js';
import { buildIndex, searchExcluding, type IndexSettings } from './retrieve.js';
import type { TeacherQuery } from './scores.js';
import type { TaskTexts, TrainingExample } from './training.js';

/** The `remine` param: refresh every N steps (0: never) from the top `depth` of the index. */
export interface RemineParam {
  every: number;
  depth: number;
}

export const REMINE_DEPTH = 100;

export const REMINE_PARAM_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['every'],
  description: 'Re-mine each training query\'s negatives every N steps from the current retriever\'s top `depth` pool rows (ANCE-style), with the `negatives` strategy; every: 0 never does.',
  properties: {
    every: { type: 'integer', minimum: 0, description: 'Steps between refreshes (0: never).' },
    depth: { type: 'integer', minimum: 1, default: REMINE_DEPTH, description: 'Pool rows retrieved per query to mine from.' },
  },
} as const;

/** What re-mining encodes with: the bi-encoder, or any function from texts to unit vectors. */
export interface Embedder {
  readonly dim: number;
  /** [n·D] row-major, in input order. */
  embedAll(texts: readonly string[], batchSize: number): Float32Array;
}

export interface RemineSettings extends RemineParam {
  negatives: NegativesParam;
  /** Seeds each refresh's draws (with the query's scores folder, as the first mining). */
  seed: number;
  /** τ: the mining scores are cos/τ. */
  temperature: number;
  encodeBatchSize: number;
  excludeSameQuery: boolean;
  index: IndexSettings;
}

export interface RefreshReport {
  step: number;
  /** Negatives that were not among the query's negatives before this refresh. */
  changed: number;
  negatives: number;
}

export interface RemineContext {
  /** Where refreshes are kept for a resumed node (ctx.scratch); none: kept in memory only. */
  dir?: string;
  metric?(name: string, value: number, step?: number): void;
  log?: { info(message: string): void; warn(message: string): void };
}

interface SavedRefresh extends RefreshReport {
  lists: ScoredCandidate[][];
}

/** Checks the param against the strategy before any training: a bad setting fails at once. */
export function checkRemine(param: RemineParam, negatives: NegativesParam): void {
  if (param.every === 0) return;
  if (negatives.strategy === 'bottom-k') {
    throw new NodeFailure('remine needs a mining strategy in `negatives` (random, window, simans, soft-label): bottom-k is the teacher\'s own rule and has nothing to re-mine with');
  }
  if (negatives.strategy === 'same-document') throw new NodeFailure('remine cannot use same-document negatives: the retriever\'s pools carry no passage ids');
  createMiner(negatives.strategy, negatives).checkDepth(param.depth);
}

/**
 * The training examples in effect at each step: the initial ones until the first refresh, then
 * those of the latest refresh at or before the step.
 */
export class NegativeRefresher {
  private current: TrainingExample[];
  private currentStep = 0;
  readonly reports: RefreshReport[] = [];

  constructor(
    private readonly initial: readonly TrainingExample[],
    /** The teacher query behind each example, aligned with `initial`. */
    private readonly queries: readonly TeacherQuery[],
    private readonly tasks: ReadonlyMap<string, TaskTexts>,
    private readonly embedder: Embedder,
    private readonly s: RemineSettings,
    private readonly ctx: RemineContext = {},
  ) {
    if (queries.length !== initial.length) throw new Error('remine: one teacher query per example is needed');
    checkRemine(s, s.negatives);
    this.current = initial.slice();
  }

  /** The examples a batch of this step is built from; refreshes when the step starts a new period. */
  examplesAt(step: number): readonly TrainingExample[] {
    if (this.s.every === 0) return this.initial;
    const due = Math.floor(step / this.s.every) * this.s.every;
    if (due === this.currentStep) return this.current;
    if (due === 0) {
      this.current = this.initial.slice();
    } else {
      const saved = this.load(due);
      if (saved) {
        // load() checked that there is one list per example.
        this.current = this.initial.map((e, i) => ({ task: e.task, example: { ...e.example, negatives: saved.lists[i]! } }));
      } else {
        if (step !== due) this.ctx.log?.warn(`remine: the refresh of step ${due} is missing; mined now, at step ${step}, with the current weights`);
        this.refresh(due);
      }
    }
    this.currentStep = due;
    return this.current;
  }

  /** Mines every example's negatives again from the current encoder's index. */
  private refresh(step: number): void {
    const byTask = new Map<string, number[]>();
    this.initial.forEach((e, i) => byTask.set(e.task, [...(byTask.get(e.task) ?? []), i]));
    const next = this.current.slice();
    let changed = 0;
    let total = 0;
    for (const [task, members] of byTask) {
      const texts = this.tasks.get(task)!;
      const mined = this.mineTask(texts, members, step);
      // Members index the examples; mineTask gives one list per member.
      members.forEach((m, j) => {
        const current = this.current[m]!;
        const list = mined[j]!;
        const before = new Set(current.example.negatives.map((c) => c.id));
        changed += list.filter((c) => !before.has(c.id)).length;
        total += list.length;
        next[m] = { task, example: { ...current.example, negatives: list } };
      });
    }
    this.current = next;
    const report = { step, changed, negatives: total };
    this.reports.push(report);
    this.save({ ...report, lists: next.map((e) => e.example.negatives) });
    this.ctx.metric?.('retriever/remine_changed', changed, step);
    this.ctx.metric?.('retriever/remine_changed_share', total === 0 ? 0 : changed / total, step);
    this.ctx.log?.info(`remine at step ${step}: ${changed} of ${total} negatives changed (${total === 0 ? 0 : ((100 * changed) / total).toFixed(1)}%)`);
  }

  /** New negatives (teacher-scored where the teacher scored them) for the examples of one task. */
  private mineTask(texts: TaskTexts, members: readonly number[], step: number): ScoredCandidate[][] {
    const { dim } = this.embedder;
    const poolVectors = this.embedder.embedAll(texts.poolIds.map((id) => texts.demonstration.get(id)!), this.s.encodeBatchSize); // [N·D]
    const index = buildIndex(poolVectors, dim, texts.poolIds, this.s.index);
    try {
      const rowOf = new Map(texts.poolIds.map((id, i) => [id, i]));
      const byQueryText = new Map<string, number[]>();
      texts.poolIds.forEach((id, i) => {
        const q = texts.query.get(id)!;
        byQueryText.set(q, [...(byQueryText.get(q) ?? []), i]);
      });
      const queryIds = members.map((m) => this.initial[m]!.example.queryId); // members index the examples
      const queryVectors = this.embedder.embedAll(queryIds.map((id) => texts.query.get(id)!), this.s.encodeBatchSize); // [Q·D]
      const wanted = queryIds.map((id, j) => {
        const exclude = new Set<number>(this.s.excludeSameQuery ? byQueryText.get(texts.query.get(id)!) ?? [] : []);
        exclude.add(rowOf.get(id)!); // the query's own row
        return { vector: queryVectors.subarray(j * dim, (j + 1) * dim), exclude };
      });
      const hits = searchExcluding(index, wanted, this.s.depth);
      const labels = texts.label;
      const isFalseNegative = labels ? (queryId: string, docId: string) => labels.get(queryId) === labels.get(docId) : undefined;
      return members.map((m, j) => {
        // One wanted vector and one hit list per member; hit rows index the pool, with a score each.
        const { example } = this.initial[m]!;
        const query = this.queries[m]!;
        const qv = wanted[j]!.vector;
        const hit = hits[j]!;
        const logit = (row: number) => dot(qv, poolVectors.subarray(row * dim, (row + 1) * dim)) / this.s.temperature;
        const candidates = hit.rows.map((row, r) => ({ id: texts.poolIds[row]!, score: hit.scores[r]! / this.s.temperature }));
        const positives = example.positives.map((c) => ({ id: c.id, score: logit(rowOf.get(c.id)!) }));
        const seed = deriveSeed(this.s.seed + query.source, step);
        const negatives = remineNegatives(
          { queryId: example.queryId, positives },
          candidates,
          this.s.negatives,
          { seed, context: { pool: texts.poolIds, isFalseNegative } },
        )!;
        const teacher = new Map(query.candidates.map((c) => [c.id, c.score]));
        return negatives.map((n) => ({ id: n.id, score: teacher.get(n.id) ?? PENALTY_SCORE }));
      });
    } finally {
      index.dispose();
    }
  }

  private file(step: number): string | undefined {
    return this.ctx.dir === undefined ? undefined : join(this.ctx.dir, `remine-${step}.json`);
  }

  private save(saved: SavedRefresh): void {
    const file = this.file(saved.step);
    if (file === undefined) return;
    writeFileSync(`${file}.tmp`, JSON.stringify(saved));
    renameSync(`${file}.tmp`, file);
  }

  private load(step: number): SavedRefresh | undefined {
    const file = this.file(step);
    if (file === undefined || !existsSync(file)) return undefined;
    const saved = JSON.parse(readFileSync(file, 'utf8')) as SavedRefresh;
    if (saved.lists?.length !== this.initial.length) return undefined; // another setup's file: mine again
    return saved;
  }
}

function dot(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!; // vectors of one dimension
  return s;
}
