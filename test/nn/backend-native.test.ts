// The automatic choice of @tensorflow/tfjs-node-gpu / @tensorflow/tfjs-node, exercised with stand-ins
// of those packages (fixtures/tfjs-node-stand-ins: importing one registers a `tensorflow` backend
// built from tfjs's cpu backend), since the real ones cannot be installed everywhere. Each case runs
// a probe node (fixtures/backend-probe.mjs) through the node runner, the stand-ins on its NODE_PATH
// only. Needs the compiled tree (`npx tsc -p tsconfig.json`), as the runner tests do.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runInProcess, type ProcessOutcome } from '../../src/exec/local-process.js';
import type { NodeJob } from '../../src/exec/protocol.js';
import { createRunnerPool, type RunnerPool } from '../../src/exec/runner-pool.js';
import type { BackendInfo } from '../../src/lib/nn/backend.js';
import { nodeId, type Key } from '../../src/util/ids.js';

const ROOT = resolve(import.meta.dirname, '../..');
const RUNNER = join(ROOT, 'dist/src/exec/node-runner.js');
const BACKEND_JS = join(ROOT, 'dist/src/lib/nn/backend.js');
const PROBE = join(import.meta.dirname, 'fixtures/backend-probe.mjs');
const STAND_INS = join(import.meta.dirname, 'fixtures/tfjs-node-stand-ins');
const TFJS = tf.version.tfjs;

// [[1, 2, 3], [4, 5, 6]] × [[1, 0.5], [-1, 2], [0.25, 3]], as the probe multiplies them.
const PRODUCT = [[-0.25, 13.5], [0.5, 30]];

interface Product { backend: string; values: number[][]; newTensors: number }
interface Seen { planned: string; info: BackendInfo; runtime: Record<string, string>; chosen: Product; cpu: Product; loaded: string[] }

let dir: string;
let pool: RunnerPool;
beforeAll(() => {
  expect(existsSync(RUNNER) && existsSync(BACKEND_JS), 'the compiled tree is missing: run npx tsc -p tsconfig.json').toBe(true);
  dir = mkdtempSync(join(tmpdir(), 'retort-backend-'));
  // No warm runners: each node gets a fresh process started with its own NODE_PATH.
  pool = createRunnerPool({ size: 0, runnerPath: RUNNER });
});
afterAll(async () => {
  await pool.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Runs the probe node with the given stand-in folders on NODE_PATH and extra environment. */
async function probe(name: string, standIns: string[], extraEnv: Record<string, string> = {}): Promise<{
  outcome: ProcessOutcome; log: string[]; seen?: Seen;
}> {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extraEnv };
  if (!('RETORT_TF_BACKEND' in extraEnv)) delete env.RETORT_TF_BACKEND;
  delete env.NODE_PATH;
  if (standIns.length) env.NODE_PATH = standIns.map((s) => join(STAND_INS, s)).join(delimiter);
  const outDir = join(dir, name, 'out');
  mkdirSync(outDir, { recursive: true });
  const job: NodeJob = {
    nodeId: nodeId(name), stage: name, key: name as Key, plugin: { kind: 'module', entry: PROBE, outputs: { out: {} } },
    params: {}, inputs: {}, outDir, scratch: join(dir, name, 'scratch'), seed: 1, env: {},
  };
  const log: string[] = [];
  const noop = () => undefined;
  const outcome = await runInProcess(job, { onLog: (level, line) => log.push(`${level}: ${line}`), onMetric: noop, onProgress: noop },
    { signal: new AbortController().signal, pool, env });
  const seenFile = join(outDir, 'out', 'seen.json');
  const seen = existsSync(seenFile) ? (JSON.parse(readFileSync(seenFile, 'utf8')) as Seen) : undefined;
  return { outcome, log, seen };
}

describe('native backend packages, when installed', () => {
  it('uses @tensorflow/tfjs-node: planned, started, in the key and the log, and its ops run', async () => {
    const { outcome, log, seen } = await probe('node', ['node']);
    expect(outcome).toEqual({ ok: true });
    expect(seen!.planned).toBe('tensorflow');
    expect(seen!.info).toEqual({ name: 'tensorflow', requested: 'tensorflow', tfjsVersion: TFJS, summary: `tfjs ${TFJS}, backend tensorflow` });
    expect(seen!.runtime).toEqual({ tfjs: TFJS, tfBackend: 'tensorflow' });
    expect(log).toEqual([`info: tfjs ${TFJS}, backend tensorflow`]);
    // The product's tensors live on the tensorflow backend (two inputs and the result), and it equals cpu's.
    expect(seen!.chosen).toEqual({ backend: 'tensorflow', values: PRODUCT, newTensors: 3 });
    expect(seen!.cpu).toEqual({ backend: 'cpu', values: PRODUCT, newTensors: 3 });
    expect(seen!.loaded).toEqual(['node/@tensorflow/tfjs-node/index.js', 'register-tensorflow.cjs']);
  });

  it('prefers @tensorflow/tfjs-node-gpu over @tensorflow/tfjs-node, and says (gpu)', async () => {
    const { outcome, log, seen } = await probe('gpu', ['node', 'gpu']);
    expect(outcome).toEqual({ ok: true });
    expect(seen!.planned).toBe('tensorflow-gpu');
    expect(seen!.info).toEqual({ name: 'tensorflow', requested: 'tensorflow-gpu', tfjsVersion: TFJS, summary: `tfjs ${TFJS}, backend tensorflow (gpu)` });
    expect(seen!.runtime).toEqual({ tfjs: TFJS, tfBackend: 'tensorflow-gpu' });
    expect(log).toEqual([`info: tfjs ${TFJS}, backend tensorflow (gpu)`]);
    expect(seen!.chosen).toEqual({ backend: 'tensorflow', values: PRODUCT, newTensors: 3 });
    // Only the gpu package was loaded.
    expect(seen!.loaded).toEqual(['gpu/@tensorflow/tfjs-node-gpu/index.js', 'register-tensorflow.cjs']);
  });

  it('fails the node with a message naming the package, and no stack trace, when the forced one cannot load', async () => {
    const { outcome, log, seen } = await probe('broken', ['broken'], { RETORT_TF_BACKEND: 'tensorflow' });
    const message = 'RETORT_TF_BACKEND=tensorflow needs @tensorflow/tfjs-node, which could not be loaded: stand-in tfjs-node: its native binding could not be loaded';
    expect(outcome).toEqual({ ok: false, failure: { kind: 'plugin-error', message } });
    // The runner logs a stack only for errors that are not NodeFailures: nothing at all here.
    expect(log).toEqual([]);
    expect(seen).toBeUndefined();
  });

  it('fails the node, saying the installed package was chosen and how to choose another, when the automatic one cannot load', async () => {
    const { outcome, log } = await probe('broken-auto', ['broken']);
    const message = '@tensorflow/tfjs-node is installed, so the tensorflow backend was chosen, but it could not be loaded: '
      + 'stand-in tfjs-node: its native binding could not be loaded (RETORT_TF_BACKEND=wasm chooses another)';
    expect(outcome).toEqual({ ok: false, failure: { kind: 'plugin-error', message } });
    expect(log).toEqual([]);
  });

  it('without them, uses wasm as before', async () => {
    const { outcome, log, seen } = await probe('wasm', []);
    expect(outcome).toEqual({ ok: true });
    expect(seen!.planned).toBe('wasm');
    expect(seen!.info.name).toBe('wasm');
    expect(seen!.info.requested).toBe('wasm');
    expect(seen!.runtime.tfBackend).toBe('wasm');
    expect(log).toEqual([`info: ${seen!.info.summary}`]);
    expect(seen!.info.summary).toMatch(new RegExp(`^tfjs ${TFJS.replaceAll('.', '\\.')}, backend wasm, SIMD (on|off), threads (on|off), matmuls (wasm|OpenBLAS)$`));
    expect(seen!.chosen).toEqual({ backend: 'wasm', values: PRODUCT, newTensors: 3 });
    expect(seen!.loaded).toEqual([]);
  });
});
