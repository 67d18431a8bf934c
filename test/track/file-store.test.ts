// Golden tests of the FileStore layout Retort writes without a tracking server (research/mlflow.md §3).

import { mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileStoreBackend } from '../../src/track/file-store.js';
import { metricLine, pythonFloat, renderMetaYaml, yamlString } from '../../src/track/file-store-format.js';
import { createTracker } from '../../src/track/index.js';
import { collectWarnings, nodeInfo, parseCachedList, runInfo } from './helpers.js';

let tmp: string;
beforeEach(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'retort-fs-'));
});
afterEach(async () => {
  await rm(tmp, { recursive: true, force: true });
});

const EXP = '123456789012345678';
const RUN = '0123456789abcdef0123456789abcdef';
const T0 = 1_700_000_000_000;

function fixedStore(root: string): FileStoreBackend {
  return new FileStoreBackend(root, { now: () => T0, newExperimentId: () => EXP, newRunId: () => RUN });
}

describe('FileStore formats', () => {
  it('writes YAML like PyYAML: sorted keys, quoted ids and ambiguous strings, plain otherwise', () => {
    expect(renderMetaYaml({ name: 'Default', experiment_id: '0', a: null, b: [], c: 4, d: '' })).toBe(
      "a: null\nb: []\nc: 4\nd: ''\nexperiment_id: '0'\nname: Default\n",
    );
    expect(yamlString('eval[rte]')).toBe('eval[rte]');
    expect(yamlString('yes')).toBe("'yes'");
    expect(yamlString('my: exp')).toBe("'my: exp'");
    expect(yamlString("it's")).toBe("it's");
    expect(yamlString('#x')).toBe("'#x'");
    expect(yamlString('12:30')).toBe("'12:30'");
    expect(yamlString('a\nb')).toBe('"a\\nb"');
  });

  it('writes metric lines `timestamp value step` with Python float text', () => {
    expect(metricLine(T0, 1, 3)).toBe(`${T0} 1.0 3\n`);
    expect(metricLine(T0, NaN, 0)).toBe(`${T0} nan 0\n`);
    expect([0.1, 1e-7, 1e16, 123456.5, -Infinity, 2.5e-5, 1e15].map(pythonFloat)).toEqual(
      ['0.1', '1e-07', '1e+16', '123456.5', '-inf', '2.5e-05', '1000000000000000.0'],
    );
  });
});

describe('FileStore layout', () => {
  it('creates Default experiment 0, .trash, the experiment and a run with exact meta.yaml text', async () => {
    const root = join(tmp, 'mlruns');
    const store = fixedStore(root);
    const run = await store.createRun({
      experimentName: 'retort-demo',
      runName: 'eval[rte]',
      startTime: T0,
      tags: [{ key: 'mlflow.user', value: 'alice' }, { key: 'mlflow.runName', value: 'eval[rte]' }],
      clientRunId: 'c1',
    });
    expect(run).toEqual({ runId: RUN, experimentId: EXP, artifactUri: pathToFileURL(join(root, EXP, RUN, 'artifacts')).href });
    expect((await stat(join(root, '.trash'))).isDirectory()).toBe(true);
    expect(await readFile(join(root, '0', 'meta.yaml'), 'utf8')).toBe(
      `artifact_location: ${pathToFileURL(join(root, '0')).href}\n` +
        `creation_time: ${T0}\nexperiment_id: '0'\nlast_update_time: ${T0}\nlifecycle_stage: active\nname: Default\n`,
    );
    expect(await readFile(join(root, EXP, 'meta.yaml'), 'utf8')).toBe(
      `artifact_location: ${pathToFileURL(join(root, EXP)).href}\n` +
        `creation_time: ${T0}\nexperiment_id: '${EXP}'\nlast_update_time: ${T0}\nlifecycle_stage: active\nname: retort-demo\n`,
    );
    await store.updateRun(run, 'FINISHED', T0 + 5000);
    expect(await readFile(join(root, EXP, RUN, 'meta.yaml'), 'utf8')).toBe(
      [
        `artifact_uri: ${pathToFileURL(join(root, EXP, RUN, 'artifacts')).href}`,
        'deleted_time: null',
        `end_time: ${T0 + 5000}`,
        "entry_point_name: ''",
        `experiment_id: '${EXP}'`,
        'lifecycle_stage: active',
        `run_id: ${RUN}`,
        'run_name: eval[rte]',
        `run_uuid: ${RUN}`,
        "source_name: ''",
        'source_type: 4',
        "source_version: ''",
        `start_time: ${T0}`,
        'status: 3',
        'tags: []',
        'user_id: alice',
        '',
      ].join('\n'),
    );
    expect(await readFile(join(root, EXP, RUN, 'tags', 'mlflow.runName'), 'utf8')).toBe('eval[rte]');
    expect(await readdir(join(root, EXP, RUN))).toEqual(expect.arrayContaining(['artifacts', 'metrics', 'params', 'tags', 'meta.yaml']));
    // No temp files left where MLflow would list them.
    expect((await readdir(join(root, EXP, RUN))).filter((n) => n.startsWith('.tmp'))).toEqual([]);
  });

  it('appends metric lines, writes params/tags without trailing newline, nests keys with /', async () => {
    const root = join(tmp, 'mlruns');
    const store = fixedStore(root);
    const run = await store.createRun({ experimentName: 'x', runName: 'r', startTime: T0, tags: [], clientRunId: 'c' });
    await store.logBatch(run, {
      metrics: [
        { key: 'category/nli', value: 0.5, timestamp: T0, step: 0 },
        { key: 'category/nli', value: 0.75, timestamp: T0 + 1, step: 1 },
      ],
      params: [{ key: 'opt.lr', value: '0.1' }, { key: 'data/path', value: '/d' }],
      tags: [{ key: 'retort.shared/eval.rte', value: 'abc' }],
    });
    await store.logBatch(run, { metrics: [{ key: 'category/nli', value: 1, timestamp: T0 + 2, step: 2 }] });
    const dir = join(root, EXP, RUN);
    expect(await readFile(join(dir, 'metrics', 'category', 'nli'), 'utf8')).toBe(`${T0} 0.5 0\n${T0 + 1} 0.75 1\n${T0 + 2} 1.0 2\n`);
    expect(await readFile(join(dir, 'params', 'opt.lr'), 'utf8')).toBe('0.1');
    expect(await readFile(join(dir, 'params', 'data', 'path'), 'utf8')).toBe('/d');
    expect(await readFile(join(dir, 'tags', 'retort.shared', 'eval.rte'), 'utf8')).toBe('abc');
    await expect(store.logBatch(run, { params: [{ key: 'opt.lr', value: '0.2' }] })).rejects.toThrow(/Changing param values is not allowed/);
  });

  it('reuses an experiment found by name and leaves an existing root without a Default experiment', async () => {
    const root = join(tmp, 'mlruns');
    await fixedStore(root).experimentId('shared');
    await rm(join(root, '0'), { recursive: true });
    const again = new FileStoreBackend(root);
    expect(await again.experimentId('shared')).toBe(EXP);
    expect(await readdir(root)).not.toContain('0');
    const fresh = await again.experimentId('other');
    expect(fresh).toMatch(/^[1-9]\d{17}$/);
  });

  it('processes creating one experiment at once agree on one folder; a deleted namesake is left alone', async () => {
    const root = join(tmp, 'mlruns');
    const stores = Array.from({ length: 4 }, () => new FileStoreBackend(root));
    const ids = await Promise.all(stores.map((s) => s.experimentId('race')));
    expect(new Set(ids).size).toBe(1);
    expect(ids[0]).toMatch(/^[1-9]\d{17}$/);
    const named = [];
    for (const dir of await readdir(root)) {
      const meta = await readFile(join(root, dir, 'meta.yaml'), 'utf8').catch(() => '');
      if (/^name: race$/m.test(meta)) named.push(dir);
    }
    expect(named).toEqual([ids[0]]);
    // Once deleted in MLflow (lifecycle_stage: deleted), a new experiment of that name gets a new folder.
    const metaPath = join(root, ids[0]!, 'meta.yaml');
    await writeFile(metaPath, (await readFile(metaPath, 'utf8')).replace('lifecycle_stage: active', 'lifecycle_stage: deleted'));
    const renewed = await new FileStoreBackend(root).experimentId('race');
    expect(renewed).not.toBe(ids[0]);
  });
});

describe('observer over the FileStore', () => {
  it('writes a parent run, child runs with params/metrics/tags, and cached results on the parent', async () => {
    const { warn, messages } = collectWarnings();
    const runsDir = join(tmp, 'runs');
    const tracker = createTracker({ enabled: true, experiment: 'demo-exp', tags: { team: 'ir' } }, { runsDir, env: {}, warn, flushIntervalMs: 0 });
    await tracker.runStarted(runInfo({}, { experiment: 'demo-exp', tags: { team: 'ir' } }));
    const node = nodeInfo('eval[rte]', { method: 'bm25', opt: { k: 8, lr: 0.1 }, list: [1, 2] });
    const ref = (await tracker.nodeStarted(node)) as Record<string, string>;
    tracker.nodeMetric(node, { name: 'acc', value: 0.5, step: 0, timestamp: T0 });
    tracker.nodeMetric(node, { name: 'acc', value: 0.75, step: 1, timestamp: T0 + 1 });
    await tracker.nodeFinished(node, { status: 'ok', metrics: [{ name: 'acc', value: 0.75, step: 1, timestamp: T0 + 1 }], startedAt: T0, endedAt: T0 + 10 });
    await tracker.nodeCached(nodeInfo('eval[copa]'), { mlflowRunId: 'f'.repeat(32), experimentId: '1', trackingUri: ref.trackingUri! }, [
      { name: 'acc', value: 0.6, step: 0, timestamp: T0 },
    ]);
    await tracker.runFinished({ status: 'ok', hits: 1, ran: 1, failed: 0, endedAt: T0 + 20 });
    await tracker.close();
    expect(messages).toEqual([]);

    const root = join(runsDir, 'mlruns');
    expect(ref.trackingUri).toBe(pathToFileURL(root).href);
    const exp = ref.experimentId!;
    const runs = (await readdir(join(root, exp))).filter((n) => /^[0-9a-f]{32}$/.test(n));
    expect(runs).toHaveLength(2);
    const child = join(root, exp, ref.mlflowRunId!);
    const parentId = await readFile(join(child, 'tags', 'mlflow.parentRunId'), 'utf8');
    const parent = join(root, exp, parentId);
    expect(await readFile(join(child, 'params', 'opt.lr'), 'utf8')).toBe('0.1');
    expect(await readFile(join(child, 'params', 'list'), 'utf8')).toBe('[1,2]');
    expect(await readFile(join(child, 'metrics', 'acc'), 'utf8')).toBe(`${T0} 0.5 0\n${T0 + 1} 0.75 1\n`);
    expect(await readFile(join(child, 'tags', 'retort.key'), 'utf8')).toBe('key-eval[rte]');
    expect(await readFile(join(child, 'tags', 'retort.plugin'), 'utf8')).toBe('eval-plugin@1.0.0');
    expect(await readFile(join(child, 'tags', 'mlflow.source.type'), 'utf8')).toBe('LOCAL');
    expect(await readFile(join(child, 'meta.yaml'), 'utf8')).toMatch(/\nstatus: 3\n/);
    expect(await readFile(join(parent, 'meta.yaml'), 'utf8')).toMatch(/\nrun_name: demo-20250102-030405\n[\s\S]*\nstatus: 3\n/);
    expect(await readFile(join(parent, 'tags', 'team'), 'utf8')).toBe('ir');
    expect(await readFile(join(parent, 'tags', 'retort.cached'), 'utf8')).toBe('1');
    expect(parseCachedList(await readFile(join(parent, 'artifacts', 'retort', 'cached.tsv'), 'utf8'))).toEqual(new Map([['eval[copa]', ['key-eval[copa]', 'f'.repeat(32)]]]));
    expect(await readFile(join(parent, 'metrics', 'eval.copa', 'acc'), 'utf8')).toBe(`${T0} 0.6 0\n`);
    expect(await readFile(join(parent, 'metrics', 'eval.rte', 'acc'), 'utf8')).toBe(`${T0 + 1} 0.75 1\n`);
  });

  it('marks runs left open at close as KILLED', async () => {
    const runsDir = join(tmp, 'runs');
    const tracker = createTracker({ enabled: true, experiment: 'e' }, { runsDir, env: {}, warn: () => {}, flushIntervalMs: 0 });
    await tracker.runStarted(runInfo());
    const ref = (await tracker.nodeStarted(nodeInfo('train'))) as Record<string, string>;
    await tracker.close();
    const meta = await readFile(join(runsDir, 'mlruns', ref.experimentId!, ref.mlflowRunId!, 'meta.yaml'), 'utf8');
    expect(meta).toMatch(/\nstatus: 5\n/);
    expect(meta).not.toMatch(/end_time: null/);
  });

  it('keeps a long param as an artifact and truncates the param value', async () => {
    const { warn, messages } = collectWarnings();
    const runsDir = join(tmp, 'runs');
    const tracker = createTracker({ enabled: true, experiment: 'e' }, { runsDir, env: {}, warn, flushIntervalMs: 0 });
    await tracker.runStarted(runInfo());
    const long = 'p'.repeat(800);
    const ref = (await tracker.nodeStarted(nodeInfo('train', { prompt: long }))) as Record<string, string>;
    await tracker.close();
    const dir = join(runsDir, 'mlruns', ref.experimentId!, ref.mlflowRunId!);
    expect(await readFile(join(dir, 'params', 'prompt'), 'utf8')).toBe('p'.repeat(500));
    expect(await readFile(join(dir, 'artifacts', 'retort', 'params', 'prompt.txt'), 'utf8')).toBe(long);
    expect(messages.join('\n')).toMatch(/prompt.*longer than 500/);
  });
});
