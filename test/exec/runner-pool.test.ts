// The pool of node runners started ahead of need: each runner still runs one node in its own
// process, so a node that exits or is killed fails alone and the next node runs in a fresh runner;
// memory limits and per-node environments (CUDA_VISIBLE_DEVICES) still apply. Needs the compiled
// runner (`npx tsc -p tsconfig.json`).
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { failureMessage, type Failure } from '../../src/exec/failure.js';
import { runInProcess, type ProcessOutcome } from '../../src/exec/local-process.js';
import type { NodeJob } from '../../src/exec/protocol.js';
import { nodeId, type Key } from '../../src/util/ids.js';
import { createRunnerPool, type RunnerPool } from '../../src/exec/runner-pool.js';

const RUNNER = resolve(import.meta.dirname, '../../dist/src/exec/node-runner.js');

// Writes what the node's process saw into out/seen.json; `crash` exits or kills the process instead.
const PROBE = `import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { getHeapStatistics } from 'node:v8';
export default {
  id: 'probe', version: '1', params: {}, outputs: { out: {} },
  run(ctx) {
    if (ctx.params.crash === 'exit') process.exit(3);
    if (ctx.params.crash === 'kill') process.kill(process.pid, 'SIGKILL');
    const seen = { pid: process.pid, cuda: process.env.CUDA_VISIBLE_DEVICES ?? 'unset', heapLimitMb: getHeapStatistics().heap_size_limit / 2 ** 20 };
    writeFileSync(join(ctx.output('out'), 'seen.json'), JSON.stringify(seen));
  },
};
`;

const dirs: string[] = [];
const pools: RunnerPool[] = [];
afterEach(async () => {
  for (const p of pools.splice(0)) await p.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function setup(size: number): {
  pool: RunnerPool;
  run: (name: string, params?: Record<string, unknown>, opts?: { env?: NodeJS.ProcessEnv; memoryMb?: number }) => Promise<{
    outcome: ProcessOutcome; seen?: { pid: number; cuda: string; heapLimitMb: number };
  }>;
} {
  const dir = mkdtempSync(join(tmpdir(), 'retort-pool-'));
  dirs.push(dir);
  mkdirSync(join(dir, 'plugin'));
  writeFileSync(join(dir, 'plugin', 'index.mjs'), PROBE);
  const pool = createRunnerPool({ size, runnerPath: RUNNER });
  pools.push(pool);
  const run = async (name: string, params: Record<string, unknown> = {}, opts: { env?: NodeJS.ProcessEnv; memoryMb?: number } = {}) => {
    const outDir = join(dir, name, 'out');
    mkdirSync(outDir, { recursive: true });
    const job: NodeJob = {
      nodeId: nodeId(name), stage: name, key: name as Key, plugin: { kind: 'module', entry: join(dir, 'plugin', 'index.mjs'), outputs: { out: {} } },
      params, inputs: {}, outDir, scratch: join(dir, name, 'scratch'), seed: 1, env: {},
    };
    const noop = () => undefined;
    const outcome = await runInProcess(job, { onLog: noop, onMetric: noop, onProgress: noop }, { signal: new AbortController().signal, pool, ...opts });
    let seen;
    try { seen = JSON.parse(readFileSync(join(outDir, 'out', 'seen.json'), 'utf8')); } catch { seen = undefined; }
    return { outcome, seen };
  };
  return { pool, run };
}

const waitWarm = (pool: RunnerPool, n: number) => vi.waitFor(() => expect(pool.warmPids).toHaveLength(n), { timeout: 20_000, interval: 20 });

describe('runner pool', () => {
  it('runs a node in a runner started ahead of it, and each node in a process of its own', async () => {
    const { pool, run } = setup(1);
    await waitWarm(pool, 1);
    const [spare] = pool.warmPids;
    const first = await run('a');
    expect(first.outcome).toEqual({ ok: true });
    expect(first.seen!.pid).toBe(spare);
    await waitWarm(pool, 1);
    const second = await run('b');
    expect(second.outcome.ok).toBe(true);
    expect(second.seen!.pid).not.toBe(spare);
  }, 60_000);

  it('a node that exits or is killed fails alone; the next node runs in a fresh runner', async () => {
    const { pool, run } = setup(1);
    await waitWarm(pool, 1);
    const exited = await run('exits', { crash: 'exit' });
    expect(exited.outcome).toEqual({ ok: false, failure: { kind: 'exit-code', process: 'node', code: 3 } });
    await waitWarm(pool, 1);
    const killed = await run('killed', { crash: 'kill' });
    expect(killed.outcome).toEqual({ ok: false, failure: { kind: 'signal', process: 'node', signal: 'SIGKILL' } });
    expect(failureMessage((killed.outcome as { failure: Failure }).failure)).toBe("the node's process was killed by SIGKILL (out of memory?)");
    await waitWarm(pool, 1);
    const [fresh] = pool.warmPids;
    const after = await run('after');
    expect(after.outcome.ok).toBe(true);
    expect(after.seen!.pid).toBe(fresh);
  }, 60_000);

  it('a node with a memory limit gets a process with that heap limit; the others keep the default', async () => {
    const { pool, run } = setup(1);
    await waitWarm(pool, 1);
    const limited = await run('limited', {}, { memoryMb: 96 });
    expect(limited.outcome.ok).toBe(true);
    expect(pool.warmPids).not.toContain(limited.seen!.pid);
    expect(limited.seen!.heapLimitMb).toBeGreaterThanOrEqual(96);
    expect(limited.seen!.heapLimitMb).toBeLessThan(200);
    const plain = await run('plain');
    expect(plain.seen!.heapLimitMb).toBeGreaterThan(500);
  }, 60_000);

  it('CUDA_VISIBLE_DEVICES reaches each node in a warm runner; variables read at start-up get a fresh process', async () => {
    const { pool, run } = setup(1);
    await waitWarm(pool, 1);
    const [spare] = pool.warmPids;
    const gpu = await run('gpu', {}, { env: { ...process.env, CUDA_VISIBLE_DEVICES: '3' } });
    expect(gpu.seen).toMatchObject({ pid: spare, cuda: '3' });
    await waitWarm(pool, 1);
    const cpu = await run('cpu', {}, { env: { ...process.env, CUDA_VISIBLE_DEVICES: '' } });
    expect(cpu.seen!.cuda).toBe('');
    await waitWarm(pool, 1);
    const startup = pool.acquire({ env: { ...process.env, NODE_OPTIONS: '--max-old-space-size=128' } });
    expect(startup.warm).toBe(false);
    expect(pool.warmPids).toHaveLength(1);
    startup.child.kill('SIGKILL');
    const same = pool.acquire({ env: { ...process.env } });
    expect(same).toMatchObject({ warm: true, env: undefined });
    same.child.kill('SIGKILL');
  }, 60_000);

  it('close stops the warm runners', async () => {
    const { pool } = setup(2);
    await waitWarm(pool, 2);
    const pids = [...pool.warmPids];
    await pool.close();
    expect(pool.warmPids).toEqual([]);
    for (const pid of pids) expect(() => process.kill(pid, 0)).toThrow();
  }, 60_000);
});
