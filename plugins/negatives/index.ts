// The `negatives` stage: training groups with hard negatives mined by one chosen strategy
// (random, rank window, SimANS, same-document, LLM soft labels; src/lib/negatives) from scored
// candidates, with statistics of what was chosen as metrics and a histogram artifact.
//
// Per train query of each task: the positives are the teacher's top `topkAsPositive` candidates
// (LLM-R's rule; the best first, so s₊ is the best score), the candidates the whole scored list in
// score order, and the strategy picks `count` negatives from it.

import { createWriteStream } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { once } from 'node:events';
import { basename, join } from 'node:path';
import type self from './index.js';
import { definePlugin, type PluginParams, NodeFailure, type PluginContextOf } from '../../src/plugin/api.js';
import { listTaskFolders, loadTaskFolder, type LoadedTask } from '../../src/lib/data/task-folder.js';
import type { TaskRow } from '../../src/lib/data/task.js';
import { passageFieldsOf } from '../../src/lib/retrieval/from-tasks.js';
import { groupLine, readScoresFolder, type ScoredLine } from '../../src/lib/negatives/files.js';
import { MiningStats } from '../../src/lib/negatives/stats.js';
import { DEFAULT_SETTINGS, STRATEGIES, candidateDepth, createMiner, mineAll, type StrategySettings } from '../../src/lib/negatives/mine.js';
import { NegativesError, type Candidate, type MiningContext, type MiningQuery, type StrategyName } from '../../src/lib/negatives/types.js';
import { DataError } from '../../src/lib/data/errors.js';
import { beirUnits } from './beir.js';

/** The teacher score below which a candidate is a penalty (LLM-R: other label or task, −100). */
const PENALTY_SCORE = -100;

const num = <const E extends Record<string, unknown>>(description: string, extra: E) => ({ type: 'number', description, ...extra }) as const;

/** The params run receives (defaults applied), read from the schema below. */
export type NegativesParams = PluginParams<typeof self>;

export default definePlugin({
  id: 'negatives',
  version: '1.0.0',
  description: 'Training groups (positives + mined negatives) from scored candidates, with one strategy: random, rank window, SimANS, same-document or LLM soft labels; statistics of the chosen negatives as metrics and a histogram.',
  params: {
    type: 'object',
    additionalProperties: false,
    properties: {
      strategy: { enum: [...STRATEGIES], default: 'window', description: 'How negatives are chosen.' },
      count: { type: 'integer', minimum: 1, default: 15, description: 'Negatives per query (BGE negative_number and SimANS: 15).' },
      topkAsPositive: { type: 'integer', minimum: 1, default: 3, description: 'Positives: the teacher\'s top k (LLM-R: 3).' },
      seed: { type: 'integer', minimum: 0, default: 1, description: 'Seeds every draw; each query draws from (seed, query id).' },
      tasks: { type: 'array', items: { type: 'string' }, description: 'Only these tasks (default: every scored task).' },
      filterSameLabel: { type: 'boolean', default: true, description: 'Classification tasks: a candidate with the query\'s label is a false negative and never chosen (as LLM-R); needs the tasks input.' },
      suspectMargin: num('A negative scored at or above s₊ − margin counts as a suspected false negative.', { minimum: 0, default: 0 }),
      beirSplit: { type: 'string', default: 'train', description: 'With the beir input: the qrels split whose queries are mined.' },
      beirDepth: { type: 'integer', minimum: 1, default: 100, description: 'With the beir input: BM25 candidates per query.' },
      bins: { type: 'integer', minimum: 1, default: 20, description: 'Bins of the histogram of s_neg − s₊.' },
      window: {
        type: 'object', additionalProperties: false, default: { start: DEFAULT_SETTINGS.window.start, topUp: 'random' },
        description: 'Rank window [start, end), 0-based, end exclusive (BGE hn_mine: 10–210).',
        properties: {
          start: { type: 'integer', minimum: 0, default: 10 },
          end: { type: 'integer', minimum: 1, description: 'Default: the candidate depth (the longest candidate list).' },
          margin: num('Drop candidates scored above s₊ − margin.', { minimum: 0 }),
          topUp: { enum: ['random', 'none'], default: 'random', description: 'Fill a short window with random pool documents (hn_mine) or not.' },
        },
      },
      simans: {
        type: 'object', additionalProperties: false, default: { a: 0.5, b: 0 },
        description: 'p_i ∝ exp(−a (Δ_i − b)²), Δ_i = (s_i − s₊)·scale; b in the paper\'s sign (the released code\'s b is −b).',
        properties: {
          a: num('Sharpness, ≥ 0 (paper default 0.5).', { minimum: 0, default: 0.5 }),
          b: num('Mode offset: the mode is at s₊ + b (code NQ b = 1.0 is −1.0 here).', { default: 0 }),
          k: { type: 'integer', minimum: 1, description: 'Top-k candidates considered (SimANS 100/200); default all.' },
          variant: { enum: ['gaussian', 'laplacian'], default: 'gaussian' },
          scale: num('Multiplies s_i − s₊ (1/τ for cosine scores).', { exclusiveMinimum: 0, default: 1 }),
          standardize: { type: 'boolean', default: false, description: 'Divide Δ by the std of each query\'s top-k scores.' },
        },
      },
      sameDocument: {
        type: 'object', additionalProperties: false, default: { topUp: 'none' },
        properties: { topUp: { enum: ['none', 'random', 'hard'], default: 'none', description: 'Fill with random pool rows or the best remaining candidates when the passage has too few other rows.' } },
      },
      softLabel: {
        type: 'object', additionalProperties: false, default: { temperature: 1 },
        properties: {
          k: { type: 'integer', minimum: 1, description: 'Draw negatives from the top k (LLM-Embedder: 100); default all.' },
          temperature: num('Teacher temperature of the weights softmax(r/T).', { exclusiveMinimum: 0, default: 1 }),
        },
      },
    },
  },
  inputs: {
    beir: { optional: true, description: 'BEIR sets (the beir stage\'s output, or one BEIR folder): positives from the qrels of `beirSplit`, candidates from BM25 over the corpus. Instead of `scores`.' },
    scores: { optional: true, description: 'Scored candidates: <task>.jsonl per task (llm-score, reward-model, bm25 or retriever output); train lines are mined.' },
    tasks: { optional: true, description: 'Task folders: the random pool (train rows), labels for filterSameLabel and passages for same-document; without it the pool is the scored candidates.' },
  },
  outputs: {
    groups: { description: '<task>.jsonl: {id, split, positives, negatives: [{id, score, rank}], weights?} per mined query, and index.json.' },
    stats: { description: 'stats.json (summary overall and per task), histogram.json and histogram.tsv of s_neg − s₊.' },
  },
  async run(ctx) {
    const p = ctx.params;
    const units = await miningUnits(ctx.inputs, p, ctx.log);
    const depth = candidateDepth(units.flatMap((u) => u.queries));
    const settings = resolveSettings(p, depth);
    const miner = createMiner(p.strategy, settings);
    ctx.log.info(`strategy ${p.strategy} ${JSON.stringify(settingsOf(p.strategy, settings))}, ${p.count} negatives per query, candidate depth ${depth}`);

    const groupsDir = ctx.output('groups');
    const overall = new MiningStats(p.suspectMargin);
    const perTask: Record<string, unknown> = {};
    const index: { task: string; file: string; queries: number; skipped: number }[] = [];
    let done = 0;
    for (const unit of units) {
      ctx.signal.throwIfAborted();
      const { mined, stats } = locate(
        unit,
        () => mineAll(unit.queries, miner, { count: p.count, seed: p.seed, context: unit.context, suspectMargin: p.suspectMargin }),
      );
      const file = `${unit.name}.jsonl`;
      const out = createWriteStream(join(groupsDir, file));
      for (const { query, result } of mined) {
        overall.add(query, result, p.count);
        const text = groupLine({ id: query.queryId, split: unit.split, positives: [...query.positives], negatives: result.negatives, weights: result.weights }) + '\n';
        if (!out.write(text)) await once(out, 'drain');
      }
      out.end();
      await once(out, 'finish');
      perTask[unit.name] = stats.summary();
      index.push({ task: unit.name, file, queries: mined.length, skipped: unit.skipped });
      ctx.progress(++done, units.length);
    }
    const summary = overall.summary();
    for (const [name, value] of Object.entries(summary)) ctx.metric(`negatives/${name}`, value);
    ctx.log.info(`${summary.queries} queries, ${summary.negatives} negatives; s_neg − s₊ median ${summary.delta_median.toFixed(3)} (p10 ${summary.delta_p10.toFixed(3)}, p90 ${summary.delta_p90.toFixed(3)}); suspected false negatives ${(100 * summary.suspected_false_negative_share).toFixed(1)}%; short ${(100 * summary.short_share).toFixed(1)}%, fallback ${(100 * summary.fallback_share).toFixed(1)}%, topped up ${(100 * summary.topped_up_share).toFixed(1)}%`);
    if (summary.queries === 0) throw new NodeFailure('no query to mine: every scored query was skipped (too few candidates or penalty scores)');

    await writeFile(join(groupsDir, 'index.json'), JSON.stringify({ strategy: p.strategy, settings: settingsOf(p.strategy, settings), count: p.count, topkAsPositive: p.topkAsPositive, seed: p.seed, tasks: index }, null, 2) + '\n');
    const statsDir = ctx.output('stats');
    const histogram = overall.histogram(p.bins);
    await writeFile(join(statsDir, 'stats.json'), JSON.stringify({ strategy: p.strategy, overall: summary, tasks: perTask }, null, 2) + '\n');
    await writeFile(join(statsDir, 'histogram.json'), JSON.stringify({ quantity: 's_neg - s_pos', ...histogram }, null, 2) + '\n');
    const rows = ['low\thigh\tcount', ...histogram.counts.map((c, i) => `${histogram.edges[i]}\t${histogram.edges[i + 1]}\t${c}`)];
    await writeFile(join(statsDir, 'histogram.tsv'), rows.join('\n') + '\n');
  },
});

/** Runs the miner, locating a settings or input error at its file (and line, when it names a query of a scores file). */
function locate<T>(unit: Unit, mine: () => T): T {
  try {
    return mine();
  } catch (e) {
    if (!(e instanceof NegativesError)) throw e;
    const named = unit.lines?.find((l) => e.message.includes(`query ${l.id} `) || e.message.includes(`query ${l.id}'`));
    throw named ? new DataError(named.file, named.line, e.message) : new DataError(unit.file, 0, e.message);
  }
}

/** A task's train rows: the pool negatives are mined from. */
function trainRows(t: LoadedTask): TaskRow[] {
  const rows = t.splits.train;
  if (rows === undefined) throw new NodeFailure(`task ${t.meta.name} has no train split: negatives are mined from its train pool`);
  return rows;
}

async function loadTasks(root: string, only: string[] | undefined): Promise<Map<string, LoadedTask>> {
  const out = new Map<string, LoadedTask>();
  for (const dir of await listTaskFolders(root)) {
    if (only && !only.includes(basename(dir))) continue;
    const t = await loadTaskFolder(dir, { splits: ['train'] });
    out.set(t.meta.name, t);
  }
  return out;
}

/** The window's end defaults to the candidate depth; the other strategies take their settings as given. */
function resolveSettings(p: NegativesParams, depth: number): StrategySettings {
  return {
    window: { start: p.window.start, end: p.window.end ?? depth, margin: p.window.margin, topUp: p.window.topUp },
    simans: p.simans,
    sameDocument: p.sameDocument,
    softLabel: p.softLabel,
  };
}

/** What one output file is mined from: a task's scored queries, or a BEIR set's split. */
interface Unit {
  name: string;
  split: string;
  queries: MiningQuery[];
  skipped: number;
  context: MiningContext;
  /** Scored lines, to locate an error at its line; else the file alone. */
  lines?: readonly ScoredLine[];
  file: string;
}

async function miningUnits(inputs: PluginContextOf<typeof self>['inputs'], p: NegativesParams, log: { warn(m: string): void }): Promise<Unit[]> {
  const scoresDir = inputs.scores;
  const beirDir = inputs.beir;
  if ((scoresDir === undefined) === (beirDir === undefined)) throw new NodeFailure('the negatives stage needs exactly one of the `scores` input (scored candidates per task) and the `beir` input (BEIR sets)');
  if (beirDir !== undefined) {
    if (p.strategy === 'same-document') log.warn('same-document on BEIR sets groups documents by their metadata.source');
    const units = await beirUnits(beirDir, p.beirSplit, p.beirDepth, p.tasks);
    for (const u of units) if (u.skipped > 0) log.warn(`${u.name}: ${u.skipped} queries skipped: no document judged relevant (grade ≥ 1)`);
    if (p.strategy === 'same-document' && units.some((u) => !u.context.sourceOf)) throw new NodeFailure('same-document negatives on BEIR sets need a "source" in each document\'s metadata, and these documents have none');
    return units.map((u) => ({ ...u, split: p.beirSplit }));
  }
  const tasks = inputs.tasks === undefined ? undefined : await loadTasks(inputs.tasks, p.tasks);
  const pools = tasks && new Map([...tasks].map(([name, t]) => [name, new Set(trainRows(t).map((r) => r.id))]));
  const scored = await readScoresFolder(scoresDir!, { tasks: p.tasks, pools });
  return [...scored].map(([task, lines]) => {
    const { queries, skipped } = toQueries(lines, p.topkAsPositive);
    if (skipped > 0) log.warn(`${task}: ${skipped} queries skipped: ${p.topkAsPositive} or fewer candidates, or a ${p.topkAsPositive}-th best score at or below ${PENALTY_SCORE} (as LLM-R filters them)`);
    return { name: task, split: 'train', queries, skipped, context: miningContext(lines, tasks?.get(task), p), lines, file: join(scoresDir!, `${task}.jsonl`) };
  });
}

function settingsOf(strategy: StrategyName, s: StrategySettings): unknown {
  return { random: {}, window: s.window, simans: s.simans, 'same-document': s.sameDocument, 'soft-label': s.softLabel }[strategy];
}

/**
 * LLM-R's positives (the top k by teacher score, best first) and its validity rule: more than k
 * candidates and a k-th best score above the penalty. Unscored candidates keep their file order.
 */
function toQueries(lines: readonly ScoredLine[], topk: number): { queries: MiningQuery[]; skipped: number } {
  const queries: MiningQuery[] = [];
  let skipped = 0;
  for (const l of lines) {
    const order: Candidate[] = l.candidates.map((c, i) => ({ c, i })).sort((x, y) => (y.c.score ?? 0) - (x.c.score ?? 0) || x.i - y.i).map(({ c }) => c);
    const kth = order[topk - 1]?.score;
    if (order.length <= topk || (kth !== undefined && kth <= PENALTY_SCORE)) {
      skipped++;
      continue;
    }
    queries.push({ queryId: l.id, positives: order.slice(0, topk), candidates: order });
  }
  return { queries, skipped };
}

function miningContext(lines: readonly ScoredLine[], loaded: LoadedTask | undefined, p: NegativesParams): MiningContext {
  if (!loaded) {
    if (p.strategy === 'same-document') throw new NodeFailure('same-document negatives need the `tasks` input: the rows\' passages say which rows share a document');
    const pool = [...new Set(lines.flatMap((l) => l.candidates.map((c) => c.id)))];
    return { pool };
  }
  const rows = trainRows(loaded);
  const context: MiningContext = { pool: rows.map((r) => r.id) };
  if (p.filterSameLabel && loaded.meta.type === 'classification') {
    const label = new Map(rows.map((r) => [r.id, r.output]));
    context.isFalseNegative = (q, d) => label.get(q) !== undefined && label.get(q) === label.get(d);
  }
  if (p.strategy === 'same-document') {
    let fields;
    try {
      fields = passageFieldsOf(loaded);
    } catch (e) {
      throw new NodeFailure(`same-document negatives: ${(e as Error).message}; mine only tasks with passages (the \`tasks\` param)`);
    }
    const source = new Map(rows.map((r) => [r.id, r.fields[fields.passage]]));
    context.sourceOf = (id) => source.get(id);
  }
  return context;
}
