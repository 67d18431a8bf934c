// LLM-R candidate scoring: the prompt layout, the penalties, the seeded sample, batching, resume
// after a kill, and the errors bad inputs give. Library pieces run against a recording fake LM;
// the plugin runs on a tiny generated suite with the built-in n-gram LM.
import { cpSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import bm25Plugin from '../../plugins/bm25/index.js';
import llmScorePlugin from '../../plugins/llm-score/index.js';
import ngramPlugin from '../../plugins/ngram-lm/index.js';
import { loadTaskFolder, writeTaskFolder } from '../../src/lib/data/task-folder.js';
import type { TaskMeta, TaskRow } from '../../src/lib/data/task.js';
import { PENALTY_SCORE } from '../../src/lib/llmr/groups.js';
import {
  balancedCap, capQueries, parseCandidateLines, penaltyFor, resolveCandidate, sampleCandidateIds, scoreQueries, scoringRequest,
  type CandidateLine, type PoolTask,
} from '../../src/lib/llmr/scoring.js';
import { NgramLM } from '../../src/lib/ml/lm/ngram.js';
import { summarizeTokens, type LanguageModel, type ScoreRequest } from '../../src/lib/ml/lm/types.js';
import { materializeTasks } from '../../src/lib/tasks/materialize.js';
import { answerText, renderDemonstration, renderQuery, taskSpecFor } from '../../src/lib/tasks/registry.js';
import { isExpectedFailure } from '../../src/plugin/api.js';
import { runPlugin } from '../plugins/ctx.js';
import { at } from '../util/at.js';

/** A fake language model: records every scoreContinuations call and returns a chosen mean log-prob. */
class RecordingFakeLM implements LanguageModel {
  readonly id = 'recording-fake-lm';
  readonly calls: ScoreRequest[][] = [];
  constructor(private readonly meanOf: (r: ScoreRequest) => number = () => -1) {}
  async scoreContinuations(reqs: ScoreRequest[]) {
    this.calls.push(reqs);
    return reqs.map((r) => summarizeTokens([this.meanOf(r)], [r.continuation]));
  }
  async generate(): Promise<string[]> { throw new Error('not used'); }
  async chooseOption(): Promise<never> { throw new Error('not used'); }
  async classify(): Promise<never> { throw new Error('not used'); }
}

// Two tasks the registry does not know, so they render with the generic "Field: value" template.
const SENT: TaskMeta = { name: 'toy_sent', category: 'sentiment', type: 'classification', metric: 'accuracy', fields: ['text'], labels: ['pos', 'neg'], splits: { train: 4 } };
const GEN: TaskMeta = { name: 'toy_gen', category: 'summarize', type: 'generation', metric: 'rouge_l', fields: ['text'], labels: [], splits: { train: 1 } };
const row = (id: string, text: string, output: string): TaskRow => ({ id, fields: { text }, output });
const sentPool: PoolTask = {
  meta: SENT,
  pool: new Map([row('s0', 'great film', 'pos'), row('s1', 'awful plot', 'neg'), row('s2', 'dull acting', 'neg'), row('s3', 'loved it', 'pos')].map((r) => [r.id, r])),
};
const genPool: PoolTask = { meta: GEN, pool: new Map([['g0', row('g0', 'a long story', 'short')]]) };

describe('the scoring prompt (methods.md §1.2)', () => {
  it('is x_i \\n y_i \\n\\n x \\n with y as the continuation', () => {
    const req = scoringRequest({ meta: SENT, row: row('q', 'awful plot', 'neg') }, { meta: SENT, row: row('s0', 'great film', 'pos') });
    expect(req).toEqual({ context: 'Text: great film\npos\n\nText: awful plot\n', continuation: 'neg' });
  });

  it('scores the mean log-prob, adds the penalties, sorts best first and batches the requests', async () => {
    // The fake's mean depends on the candidate text, so the order is known: s3 > s2 > s0 > s1 > g0.
    const means: Record<string, number> = { 'loved it': -0.5, 'dull acting': -1, 'great film': -2, 'awful plot': -3, 'a long story': -0.1 };
    const lm = new RecordingFakeLM((r) => means[r.context.split('\n')[0]!.slice('Text: '.length)]!);
    const query = row('q', 'boring', 'neg');
    const ids = ['s0', 's1', 's2', 's3', 'g0'];
    const candidates = ids.map((id) => resolveCandidate(id, sentPool, [genPool], { file: 'f', line: 1, query: 'q' }));
    const [line] = await scoreQueries(lm, [{ id: 'q', meta: SENT, row: query, candidates }], { batchSize: 2 });
    expect(lm.calls.map((c) => c.length)).toEqual([2, 2, 1]);
    // Same label (neg): s2 −1, s1 −3. Other label (pos): s3 −0.5−100, s0 −2−100.
    // Other task: −0.1−100 once (labels are compared only within a task).
    expect(line).toEqual({
      id: 'q', split: 'train', candidates: [
        { id: 's2', score: -1 }, { id: 's1', score: -3 }, { id: 'g0', score: -100.1 }, { id: 's3', score: -100.5 }, { id: 's0', score: -102 },
      ],
    });
  });

  it('penalises only other tasks for a generation query', () => {
    const q = { meta: GEN, row: row('gq', 'tale', 'brief') };
    expect(penaltyFor(q, { meta: GEN, row: row('g1', 'x', 'other words') })).toBe(0);
    expect(penaltyFor(q, { meta: SENT, row: row('s0', 'x', 'pos') })).toBe(PENALTY_SCORE);
  });
});

describe('which queries and candidates', () => {
  const cands = Array.from({ length: 10 }, (_, i) => ({ id: `c${i}`, score: 10 - i }));

  it('samples scoreTopk of the top searchTopk, the same for the same seed', () => {
    const a = sampleCandidateIds('t', 'q', cands, { searchTopk: 6, scoreTopk: 4, seed: 1 });
    expect(a).toHaveLength(4);
    expect(a.every((id) => Number(id.slice(1)) < 6)).toBe(true);
    expect(new Set(a).size).toBe(4);
    expect(sampleCandidateIds('t', 'q', cands, { searchTopk: 6, scoreTopk: 4, seed: 1 })).toEqual(a);
    const seeds = [2, 3, 4, 5].map((seed) => sampleCandidateIds('t', 'q', cands, { searchTopk: 6, scoreTopk: 4, seed }).join());
    expect(seeds.some((s) => s !== a.join())).toBe(true);
    expect(sampleCandidateIds('t', 'q', cands, { searchTopk: 100, scoreTopk: 32, seed: 1 }).sort()).toEqual(cands.map((c) => c.id).sort());
  });

  it('caps queries per task with a seeded subset in file order, and balances a total cap', () => {
    const kept = capQueries('t', 10, 4, 1);
    expect(kept).toHaveLength(4);
    expect([...kept].sort((x, y) => x - y)).toEqual(kept);
    expect(capQueries('t', 10, 4, 1)).toEqual(kept);
    expect(capQueries('t', 3, 4, 1)).toEqual([0, 1, 2]);
    // sizes 2, 10, 5 and 9 in all: cap 3 gives 2+3+3 = 8 ≤ 9, cap 4 gives 10 > 9.
    expect(balancedCap([2, 10, 5], 9)).toBe(3);
    expect(balancedCap([2, 10, 5], 100)).toBe(10);
  });

  it('locates an unknown or ambiguous candidate id', () => {
    expect(() => resolveCandidate('zz', sentPool, [genPool], { file: 'c.jsonl', line: 7, query: 'q' })).toThrow(/^c\.jsonl:7: query "q": candidate "zz" is not in the train pool of "toy_sent"$/);
    const twin: PoolTask = { meta: { ...GEN, name: 'toy_gen2' }, pool: genPool.pool };
    expect(() => resolveCandidate('g0', sentPool, [genPool, twin], { file: 'c.jsonl', line: 2, query: 'q' })).toThrow(/ambiguous among toy_gen, toy_gen2/);
  });

  it('reports a malformed candidates line with file and line', () => {
    expect(() => parseCandidateLines('{"id":"a","split":"train","candidates":[]}\n{oops\n', 'x.jsonl')).toThrow(/^x\.jsonl:2: invalid JSON/);
    expect(() => parseCandidateLines('{"id":"a","split":"train","candidates":[{"id":"b"}]}\n', 'x.jsonl')).toThrow(/^x\.jsonl:1: candidate 0: expected/);
    expect(() => parseCandidateLines('\n{"id":"a","split":"train","candidates":[]}\n{"id":"a","split":"train","candidates":[]}\n', 'x.jsonl')).toThrow(/^x\.jsonl:3: duplicate query "a" \(first on line 2\)/);
  });
});

// ---------------------------------------------------------------------------------------------
// The plugin on a tiny generated suite

let root: string;
let tasks: string;
let lmDir: string;
let candidatesDir: string;
const NAMES = ['gen_reviews', 'gen_country_facts', 'gen_cause_effect'];
const PARAMS = { searchTopk: 10, scoreTopk: 4, maxQueriesPerTask: 10, chunkQueries: 5, batchSize: 64 };
let runs = 0;
const fresh = () => join(root, `run-${runs++}`);

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'retort-llm-score-'));
  tasks = join(root, 'tasks');
  await materializeTasks(tasks, { source: { kind: 'builtin', trainSize: 30, testSize: 5 }, seed: 3, tasks: NAMES });
  lmDir = join((await runPlugin(ngramPlugin, join(root, 'lm'), { order: 3 }, { tasks })).outDir, 'model');
  candidatesDir = join((await runPlugin(bm25Plugin, join(root, 'bm25'), { topK: 20 }, { tasks })).outDir, 'candidates');
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});
afterEach(() => {
  vi.restoreAllMocks();
});

function readScores(dir: string, task: string): CandidateLine[] {
  return readFileSync(join(dir, 'scores', `${task}.jsonl`), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as CandidateLine);
}

/** Counts (and optionally fails) the n-gram LM's scoring calls, recording their requests. */
function spyOnNgram(failOnCall?: number): { calls: ScoreRequest[][] } {
  const calls: ScoreRequest[][] = [];
  const original = NgramLM.prototype.scoreContinuations;
  vi.spyOn(NgramLM.prototype, 'scoreContinuations').mockImplementation(function (this: NgramLM, reqs: ScoreRequest[]) {
    calls.push(reqs);
    if (calls.length === failOnCall) throw new Error('killed');
    return original.call(this, reqs);
  });
  return { calls };
}

describe('llm-score plugin', () => {
  it('scores a seeded sample of each train query\'s candidates, sorted, with the label penalty', async () => {
    const { calls } = spyOnNgram();
    const res = await runPlugin(llmScorePlugin, fresh(), PARAMS, { tasks, lm: lmDir, candidates: candidatesDir });
    // 3 tasks × 10 queries in chunks of 5 (20 requests each, under batchSize): 6 calls.
    expect(calls.map((c) => c.length)).toEqual([20, 20, 20, 20, 20, 20]);
    expect(res.metrics['llm-score/queries']).toBe(30);
    expect(res.metrics['llm-score/candidates']).toBe(120);
    expect(res.metrics['llm-score/candidates_per_second']).toBeGreaterThan(0);
    expect(res.metrics['llm-score/dropped_share']).toBeGreaterThanOrEqual(0);
    const index = JSON.parse(readFileSync(join(res.outDir, 'scores', 'index.json'), 'utf8')) as { scorer: string; tasks: { task: string; queries: number }[] };
    expect(index.scorer).toBe('llm-score');
    expect(index.tasks.map((t) => [t.task, t.queries]).sort()).toEqual(NAMES.map((n) => [n, 10]).sort());

    const reviews = await loadTaskFolder(join(tasks, 'gen_reviews'));
    const byId = new Map(reviews.splits.train!.map((r) => [r.id, r]));
    const bm25 = new Map(readFileSync(join(candidatesDir, 'gen_reviews.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as CandidateLine).map((l) => [l.id, l]));
    const lines = readScores(res.outDir, 'gen_reviews');
    expect(lines).toHaveLength(10);
    let penalised = 0;
    for (const line of lines) {
      expect(line.split).toBe('train');
      expect(line.candidates).toHaveLength(4);
      const scores = line.candidates.map((c) => c.score);
      expect([...scores].sort((a, b) => b - a)).toEqual(scores);
      const top = (bm25.get(line.id) as CandidateLine).candidates.slice(0, 10).map((c) => c.id);
      for (const c of line.candidates) {
        expect(top).toContain(c.id);
        const sameLabel = (byId.get(c.id) as TaskRow).output === (byId.get(line.id) as TaskRow).output;
        // A mean log-prob is far above −100; the label penalty moves it below.
        expect(c.score > PENALTY_SCORE).toBe(sameLabel);
        if (!sameLabel) penalised++;
      }
    }
    expect(penalised).toBeGreaterThan(0);
    // Multiple choice has no label penalty.
    expect(readScores(res.outDir, 'gen_cause_effect').every((l) => l.candidates.every((c) => c.score > PENALTY_SCORE))).toBe(true);
  });

  it('sends the LM the demonstration, a blank line, the query and a newline, with y as the continuation', async () => {
    const { calls } = spyOnNgram();
    const res = await runPlugin(llmScorePlugin, fresh(), { ...PARAMS, maxQueriesPerTask: 1 }, { tasks, lm: lmDir, candidates: candidatesDir });
    const t = await loadTaskFolder(join(tasks, 'gen_reviews'));
    const spec = taskSpecFor(t.meta);
    const line = at(readScores(res.outDir, 'gen_reviews'), 0);
    const byId = new Map(t.splits.train!.map((r) => [r.id, r]));
    const q = byId.get(line.id) as TaskRow;
    const expected = line.candidates.map((c) => ({ context: `${renderDemonstration(spec, byId.get(c.id) as TaskRow)}\n\n${renderQuery(spec, q)}\n`, continuation: answerText(spec, q) }));
    const sent = calls.flat().filter((r) => r.continuation === answerText(spec, q) && r.context.endsWith(`\n\n${renderQuery(spec, q)}\n`));
    expect(sent).toHaveLength(4);
    expect([...sent].sort((a, b) => a.context.localeCompare(b.context))).toEqual([...expected].sort((a, b) => a.context.localeCompare(b.context)));
  });

  it('gives the same scores for the same seed and another sample for another seed', async () => {
    const a = await runPlugin(llmScorePlugin, fresh(), PARAMS, { tasks, lm: lmDir, candidates: candidatesDir });
    const b = await runPlugin(llmScorePlugin, fresh(), PARAMS, { tasks, lm: lmDir, candidates: candidatesDir });
    const c = await runPlugin(llmScorePlugin, fresh(), { ...PARAMS, seed: 2 }, { tasks, lm: lmDir, candidates: candidatesDir });
    for (const n of NAMES) expect(readScores(b.outDir, n)).toEqual(readScores(a.outDir, n));
    const ids = (dir: string) => NAMES.flatMap((n) => readScores(dir, n).map((l) => `${l.id}:${l.candidates.map((x) => x.id).sort().join()}`)).join('|');
    expect(ids(c.outDir)).not.toEqual(ids(a.outDir));
  });

  it('resumes a killed run from its finished chunks and redoes a torn one', async () => {
    const reference = await runPlugin(llmScorePlugin, fresh(), PARAMS, { tasks, lm: lmDir, candidates: candidatesDir });
    const out = fresh();
    spyOnNgram(3); // the third chunk's LM call dies: two chunks are finished
    await expect(runPlugin(llmScorePlugin, out, PARAMS, { tasks, lm: lmDir, candidates: candidatesDir })).rejects.toThrow('killed');
    vi.restoreAllMocks();
    const saved = readdirSync(join(`${out}.scratch`, 'chunks')).filter((f) => f.endsWith('.json'));
    expect(saved).toHaveLength(2);
    // Tear one of them: it must be scored again.
    writeFileSync(join(`${out}.scratch`, 'chunks', saved[1]!), '{"format":"llm-score-chunk/1","lines":[{"id":');
    const { calls } = spyOnNgram();
    const again = await runPlugin(llmScorePlugin, out, PARAMS, { tasks, lm: lmDir, candidates: candidatesDir });
    expect(calls).toHaveLength(6 - 1);
    expect(again.metrics['llm-score/resumed_queries']).toBe(5);
    for (const n of NAMES) expect(readScores(out, n)).toEqual(readScores(reference.outDir, n));
  });

  it('balances a total cap across tasks and refuses a sample larger than its source', async () => {
    const res = await runPlugin(llmScorePlugin, fresh(), { ...PARAMS, maxQueriesPerTask: undefined, maxQueries: 7 },
      { tasks, lm: lmDir, candidates: candidatesDir });
    // 3 tasks of 30 train queries, at most 7 in all: the same cap of 2 for each.
    for (const n of NAMES) expect(readScores(res.outDir, n)).toHaveLength(2);
    const err = await runPlugin(llmScorePlugin, fresh(), { ...PARAMS, searchTopk: 3 },
      { tasks, lm: lmDir, candidates: candidatesDir }).catch((e: unknown) => e);
    expect(isExpectedFailure(err)).toBe(true);
    expect((err as Error).message).toBe('scoreTopk (4) cannot exceed searchTopk (3)');
  });

  it('fails with a located error on a malformed candidates file', async () => {
    const bad = join(root, 'bad-json');
    cpSync(candidatesDir, bad, { recursive: true });
    const file = join(bad, 'gen_reviews.jsonl');
    const lines = readFileSync(file, 'utf8').split('\n');
    lines[1] = lines[1]!.slice(0, 20);
    writeFileSync(file, lines.join('\n'));
    const { calls } = spyOnNgram();
    const err = await runPlugin(llmScorePlugin, fresh(), PARAMS, { tasks, lm: lmDir, candidates: bad }).catch((e: unknown) => e);
    expect(isExpectedFailure(err)).toBe(true);
    expect((err as Error).message).toMatch(/bad-json\/gen_reviews\.jsonl:2: invalid JSON/);
    expect(calls).toHaveLength(0);
  });

  it('fails with a located error on a candidate that is not in the pool', async () => {
    const bad = join(root, 'bad-id');
    cpSync(candidatesDir, bad, { recursive: true });
    const file = join(bad, 'gen_country_facts.jsonl');
    const lines = readFileSync(file, 'utf8').split('\n');
    const first = JSON.parse(lines[0]!) as CandidateLine;
    first.candidates = first.candidates.map((c) => ({ ...c, id: 'no-such-row' }));
    lines[0] = JSON.stringify(first);
    writeFileSync(file, lines.join('\n'));
    const err = await runPlugin(llmScorePlugin, fresh(), PARAMS, { tasks, lm: lmDir, candidates: bad }).catch((e: unknown) => e);
    expect(isExpectedFailure(err)).toBe(true);
    expect((err as Error).message).toMatch(/gen_country_facts\.jsonl:1: query ".*": candidate "no-such-row" is not in the train pool of "gen_country_facts"/);
  });

  it('fails with a located error on an empty pool, and when nothing is left to score', async () => {
    const dir = join(root, 'empty-pool');
    await mkdir(join(dir, 'tasks'), { recursive: true });
    await writeTaskFolder(join(dir, 'tasks', 'toy_sent'), { ...SENT, splits: { train: 0 } }, { train: [] });
    await mkdir(join(dir, 'cands'), { recursive: true });
    writeFileSync(join(dir, 'cands', 'toy_sent.jsonl'), '{"id":"s0","split":"train","candidates":[{"id":"s1","score":1}]}\n');
    const err = await runPlugin(llmScorePlugin, fresh(), PARAMS, { tasks: join(dir, 'tasks'), lm: lmDir, candidates: join(dir, 'cands') }).catch((e: unknown) => e);
    expect(isExpectedFailure(err)).toBe(true);
    expect((err as Error).message).toMatch(/toy_sent\/train\.jsonl: task "toy_sent" has train candidates in .*toy_sent\.jsonl but an empty train pool/);

    writeFileSync(join(dir, 'cands', 'toy_sent.jsonl'), '');
    const none = await runPlugin(llmScorePlugin, fresh(), PARAMS, { tasks: join(dir, 'tasks'), lm: lmDir, candidates: join(dir, 'cands') }).catch((e: unknown) => e);
    expect(isExpectedFailure(none)).toBe(true);
    expect((none as Error).message).toMatch(/no train queries to score/);
  });
});
