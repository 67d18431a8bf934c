// The local file store records a run's cache hits as one tag file and one artifact, whatever their
// number: on the parent run, and in a sweep on each trial's run (the sweep's run lists the nodes
// its trials share).
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeEach, expect, it } from 'vitest';
import { createTracker } from '../../src/track/index.js';
import { collectWarnings, nodeInfo, parseCachedList, runInfo } from './helpers.js';
import { nodeId } from '../../src/util/ids.js';
import { at } from '../util/at.js';

let runsDir: string;
beforeEach(async () => {
  runsDir = await mkdtemp(join(tmpdir(), 'retort-cached-list-'));
  return () => rm(runsDir, { recursive: true, force: true });
});

/** A producing run in this store, or (given a URI) in another one. */
const producer = (n: number, trackingUri = pathToFileURL(join(runsDir, 'mlruns')).href) => ({ mlflowRunId: n.toString(16).padStart(32, '0'), experimentId: '1', trackingUri });

/** Every run folder of the one experiment, by its `mlflow.runName`. */
async function runsByName(): Promise<Map<string, string>> {
  const root = join(runsDir, 'mlruns');
  const exp = at((await readdir(root)).filter((d) => /^\d+$/.test(d) && d !== '0'), 0);
  const out = new Map<string, string>();
  for (const run of (await readdir(join(root, exp))).filter((d) => /^[0-9a-f]{32}$/.test(d))) {
    out.set(await readFile(join(root, exp, run, 'tags', 'mlflow.runName'), 'utf8'), join(root, exp, run));
  }
  return out;
}

it.each(['one call per hit', 'one call for all hits'])('writes one tag file and one artifact for 501 cached nodes, and no file per node (%s)', async (calls) => {
  const { warn, messages } = collectWarnings();
  const t = createTracker({ enabled: true, experiment: 'many' }, { runsDir, env: {}, warn, flushIntervalMs: 0 });
  await t.runStarted(runInfo({}, { experiment: 'many' }));
  const hits = Array.from({ length: 500 }, (_, i) => ({ node: nodeInfo(`gen[${i}]`), producedBy: producer(i), metrics: [{ name: 'v', value: i, step: 0, timestamp: 1 }] }));
  hits.push({ node: nodeInfo('elsewhere'), producedBy: producer(7, 'http://mlflow.example:5000'), metrics: [] });
  if (calls === 'one call for all hits') await t.nodesCached!(hits);
  else for (const h of hits) await t.nodeCached(h.node, h.producedBy, h.metrics);
  await t.runFinished({ status: 'ok', hits: 501, ran: 0, failed: 0, endedAt: 2 });
  await t.close();
  expect(messages).toEqual([]);
  const parent = at([...(await runsByName()).values()], 0);
  const tags = await readdir(join(parent, 'tags'));
  expect(tags.filter((n) => n.startsWith('retort.cached'))).toEqual(['retort.cached']);
  expect(await readFile(join(parent, 'tags', 'retort.cached'), 'utf8')).toBe('501');
  expect(await readdir(join(parent, 'artifacts', 'retort'))).toEqual(['cached.tsv']);
  const list = parseCachedList(await readFile(join(parent, 'artifacts', 'retort', 'cached.tsv'), 'utf8'));
  expect(list.size).toBe(501);
  expect(list.get('gen[42]')).toEqual(['key-gen[42]', producer(42).mlflowRunId]);
  // A producing run in another tracking store is named with that store.
  expect(list.get('elsewhere')).toEqual(['key-elsewhere', `${producer(7).mlflowRunId} (http://mlflow.example:5000)`]);
  // The final metrics of cached nodes stay as they were: one metric per node and name.
  expect(await readFile(join(parent, 'metrics', 'gen.42', 'v'), 'utf8')).toBe('1 42.0 0\n');
});

it("lists a sweep's cached nodes on the runs of their trials, and the shared ones on the sweep's run too", async () => {
  const { warn, messages } = collectWarnings();
  const trial = (id: string, nodes: string[]) => ({ id, assignments: { 'vars.seed': Number(id.slice(5)) }, vars: { seed: Number(id.slice(5)) }, tags: {}, nodes: nodes.map(nodeId) });
  const sweep = { id: 'sw', trials: [trial('seed=1', ['data', 'train[seed=1]']), trial('seed=2', ['data', 'train[seed=2]'])] };
  const t = createTracker({ enabled: true, experiment: 'sweep' }, { runsDir, env: {}, warn, flushIntervalMs: 0 });
  await t.runStarted(runInfo({ sweep }, { experiment: 'sweep' }));
  await t.nodeCached(nodeInfo('data'), producer(1), [{ name: 'rows', value: 7, step: 0, timestamp: 1 }]);
  await t.nodeCached(nodeInfo('train[seed=1]'), undefined, []);
  await t.nodeStarted(nodeInfo('train[seed=2]'));
  await t.nodeFinished(nodeInfo('train[seed=2]'), { status: 'ok', metrics: [], startedAt: 1, endedAt: 2 });
  await t.runFinished({ status: 'ok', hits: 2, ran: 1, failed: 0, endedAt: 3 });
  await t.close();
  expect(messages).toEqual([]);
  const runs = await runsByName();
  const listOf = async (name: string) => parseCachedList(await readFile(join(runs.get(name) ?? '', 'artifacts', 'retort', 'cached.tsv'), 'utf8'));
  const countOf = (name: string) => readFile(join(runs.get(name) ?? '', 'tags', 'retort.cached'), 'utf8');
  expect(await countOf('seed=1')).toBe('2');
  expect(await listOf('seed=1')).toEqual(new Map([['data', ['key-data', producer(1).mlflowRunId]], ['train[seed=1]', ['key-train[seed=1]', '']]]));
  expect(await countOf('seed=2')).toBe('1');
  expect([...(await listOf('seed=2')).keys()]).toEqual(['data']);
  expect(await countOf('demo-20250102-030405')).toBe('1');
  expect([...(await listOf('demo-20250102-030405')).keys()]).toEqual(['data']);
  // The node that ran has a run of its own and is in no list.
  expect(await readdir(join(runs.get('train[seed=2]') ?? '', 'artifacts'))).toEqual([]);
});
