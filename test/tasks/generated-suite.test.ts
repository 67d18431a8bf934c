import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TASK_CATEGORIES, type TaskRow } from '../../src/lib/data/task.js';
import { loadTaskFolder } from '../../src/lib/data/task-folder.js';
import { readTaskIndex } from '../../src/lib/data/task-index.js';
import { scoreExample } from '../../src/lib/ml/metrics.js';
import { GENERATED_TASK_NAMES, GENERATORS, Rng, generateSuite, writeSuite } from '../../src/lib/tasks/generated/index.js';
import { TASK_REGISTRY, renderQuery, taskSpecFor } from '../../src/lib/tasks/registry.js';

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'retort-suite-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

async function hashTree(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (!e.isFile()) continue;
    const p = join(e.parentPath, e.name);
    out[p.slice(dir.length)] = createHash('sha256').update(await readFile(p)).digest('hex');
  }
  return out;
}

describe('generated suite', () => {
  it('has 30 tasks, 3/3/3/5/3/4/3/3/3 per category, each mirroring one LLM-R task', () => {
    expect(GENERATORS).toHaveLength(30);
    expect(new Set(GENERATED_TASK_NAMES).size).toBe(30);
    expect(TASK_CATEGORIES.map((c) => GENERATORS.filter((g) => g.category === c).length)).toEqual([3, 3, 3, 5, 3, 4, 3, 3, 3]);
    expect(GENERATORS.map((g) => g.mirrors).sort()).toEqual(Object.keys(TASK_REGISTRY).sort());
    for (const g of GENERATORS) {
      const real = TASK_REGISTRY[g.mirrors]!;
      expect([g.category, g.type, g.metric], g.name).toEqual([real.category, real.type, real.metric]);
      expect(g.name).toMatch(/^gen_[a-z0-9_]+$/);
    }
    expect(taskSpecFor({ ...generateSuite({ seed: 1, tasks: ['gen_reviews'], trainSize: 1, testSize: 1 })[0]!.meta }).heldOut).toBe(true);
  });

  it('writes byte-identical folders for the same seed and different ones for another seed', async () => {
    const a = join(root, 'a');
    const b = join(root, 'b');
    const c = join(root, 'c');
    const opts = { seed: 7, trainSize: 40, testSize: 10 };
    await writeSuite(a, opts);
    await writeSuite(b, opts);
    await writeSuite(c, { ...opts, seed: 8 });
    const [ha, hb, hc] = await Promise.all([hashTree(a), hashTree(b), hashTree(c)]);
    expect(Object.keys(ha)).toHaveLength(30 * 3 + 1);
    expect(hb).toEqual(ha);
    const differing = Object.keys(ha).filter((k) => k.endsWith('.jsonl') && ha[k] !== hc[k]);
    expect(differing.length).toBeGreaterThanOrEqual(55); // nearly every split file changes with the seed
  });

  it('loads back through loadTaskFolder, with an index and well-formed rows', async () => {
    const dir = join(root, 'default');
    const folders = await writeSuite(dir, { seed: 1 });
    expect(folders).toHaveLength(30);
    const index = await readTaskIndex(dir);
    expect(index.tasks.map((t) => t.name)).toEqual([...GENERATED_TASK_NAMES].sort());
    for (const folder of folders) {
      const { meta, splits } = await loadTaskFolder(folder);
      expect(meta.splits, meta.name).toEqual({ train: 200, test: 50 });
      const key = (r: TaskRow) => JSON.stringify([r.fields, [...(r.options ?? [])].sort()]).toLowerCase();
      const testKeys = new Set(splits.test!.map(key));
      const leaks = splits.train!.filter((r) => testKeys.has(key(r)));
      expect(leaks, meta.name).toEqual([]);
      if (meta.type === 'classification') {
        for (const label of meta.labels) expect(splits.train!.some((r) => r.output === label), `${meta.name}:${label}`).toBe(true);
      }
      if (meta.type === 'generation') for (const r of splits.test!) expect(r.references?.[0]).toBe(r.output);
      for (const r of [...splits.train!, ...splits.test!]) {
        for (const v of Object.values(r.fields)) expect(v, r.id).not.toMatch(/undefined|\{[a-z]\}|\s{2}/);
        expect(r.output.trim(), r.id).not.toBe('');
      }
    }
  });

  it('sizes are parameters; the test set and a subset do not depend on the others', () => {
    const small = generateSuite({ seed: 3, trainSize: 10, testSize: 5 });
    const big = generateSuite({ seed: 3, trainSize: 30, testSize: 5 });
    const subset = generateSuite({ seed: 3, trainSize: 10, testSize: 5, tasks: ['gen_headline', 'gen_tweets'] });
    expect(small.map((t) => t.train.length)).toEqual(Array(30).fill(10));
    expect(big.map((t) => t.test)).toEqual(small.map((t) => t.test));
    expect(subset.map((t) => t.meta.name)).toEqual(['gen_tweets', 'gen_headline']);
    expect(subset[1]).toEqual(small.find((t) => t.meta.name === 'gen_headline'));
    expect(() => generateSuite({ seed: 1, tasks: ['gen_nope'] })).toThrow(/unknown generated task "gen_nope"; available: gen_country_facts/);
    expect(() => generateSuite({ seed: 1, trainSize: -1 })).toThrow(/trainSize must be a non-negative integer/);
  });

  it('similar demonstrations are more useful than random ones (latent sub-types)', () => {
    // Probe: IDF-weighted word overlap between rendered queries picks 5 neighbours from the pool;
    // a vote of their answers (or the top neighbour's output for generation) is scored against
    // the same vote over 5 random pool rows.
    const suite = generateSuite({ seed: 1 });
    const words = (s: string) => new Set(s.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []);
    const gaps: Record<string, number> = {};
    for (const t of suite) {
      const spec = taskSpecFor(t.meta);
      const pool = t.train.map((r) => words(renderQuery(spec, r)));
      const df = new Map<string, number>();
      for (const s of pool) for (const w of s) df.set(w, (df.get(w) ?? 0) + 1);
      const idf = (w: string) => Math.log(1 + pool.length / (df.get(w) ?? 0.5));
      const sim = (a: Set<string>, b: Set<string>) => {
        let inter = 0;
        let union = 0;
        for (const w of a) {
          if (b.has(w)) inter += idf(w);
          union += idf(w);
        }
        for (const w of b) if (!a.has(w)) union += idf(w);
        return inter / (union || 1);
      };
      const rng = new Rng(99);
      const metric = t.meta.metric === 'f1' ? 'accuracy' : t.meta.metric;
      let near = 0;
      let random = 0;
      for (const row of t.test) {
        const q = words(renderQuery(spec, row));
        const ranked = pool.map((p, i) => [sim(q, p), i] as const).sort((x, y) => y[0] - x[0] || x[1] - y[1]);
        const guess = (demos: typeof t.train) => {
          if (t.meta.type === 'generation') return demos[0]!.output;
          const votes = row.options!.map((o) => demos.filter((d) => d.output === o).length);
          return row.options![votes.indexOf(Math.max(...votes))]!;
        };
        const gold = row.references ?? [row.output];
        near += scoreExample(metric, guess(ranked.slice(0, 5).map(([, i]) => t.train[i]!)), gold);
        random += scoreExample(metric, guess(rng.sample(t.train, 5)), gold);
      }
      gaps[t.meta.name] = (near - random) / t.test.length;
    }
    const values = Object.values(gaps);
    expect(values.filter((g) => g > 0).length, JSON.stringify(gaps)).toBeGreaterThanOrEqual(24);
    expect(values.reduce((a, b) => a + b, 0) / values.length).toBeGreaterThan(0.2);
  });
});
