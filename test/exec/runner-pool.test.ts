// The pool of node runners started ahead of need: a runner runs one node at a time, so a node that
// exits or is killed fails alone and the next node runs in a fresh runner; a node that leaves its
// runner clean hands it to the next node; memory limits and per-node environments
// (CUDA_VISIBLE_DEVICES) still apply. Needs the compiled runner (`npx tsc -p tsconfig.json`).
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
// `say` prints lines (the last without its newline) on stdout and stderr; `leave` leaves a timer
// pending, `mess` changes the process's environment and working directory, `fail` throws, `tf`
// leaves what TensorFlow.js leaves when it loads (its engine on the global object), `listen` listens
// on the runner's channel.
const PROBE = `import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { getHeapStatistics } from 'node:v8';
export default {
  id: 'probe', version: '1', params: {}, outputs: { out: {} }, isolated: ISOLATED,
  run(ctx) {
    if (ctx.params.crash === 'exit') process.exit(3);
    if (ctx.params.crash === 'kill') process.kill(process.pid, 'SIGKILL');
    const seen = { pid: process.pid, cuda: process.env.CUDA_VISIBLE_DEVICES ?? 'unset', heapLimitMb: getHeapStatistics().heap_size_limit / 2 ** 20,
      leaked: process.env.LEAKED ?? 'unset', cwd: process.cwd() };
    writeFileSync(join(ctx.output('out'), 'seen.json'), JSON.stringify(seen));
    if (ctx.params.say) {
      console.log(ctx.params.say + ' 1');
      process.stdout.write(ctx.params.say + ' 2');
      process.stderr.write(ctx.params.say + ' on stderr');
    }
    if (ctx.params.leave) setTimeout(() => undefined, 2000);
    if (ctx.params.mess) { process.env.LEAKED = 'yes'; process.chdir('/'); }
    if (ctx.params.fail) throw new Error('failed on purpose');
    if (ctx.params.tf) globalThis._tfengine = {};
    if (ctx.params.listen) process.on('message', () => undefined);
  },
};
`;

interface Seen { pid: number; cuda: string; heapLimitMb: number; leaked: string; cwd: string }

const dirs: string[] = [];
const pools: RunnerPool[] = [];
afterEach(async () => {
  for (const p of pools.splice(0)) await p.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

type RunOptions = { env?: NodeJS.ProcessEnv; memoryMb?: number; plugin?: 'probe' | 'isolated' };

function setup(size: number): {
  pool: RunnerPool;
  run: (name: string, params?: Record<string, unknown>, opts?: RunOptions) => Promise<{ outcome: ProcessOutcome; seen?: Seen; logs: string[] }>;
} {
  const dir = mkdtempSync(join(tmpdir(), 'retort-pool-'));
  dirs.push(dir);
  for (const [name, isolated] of [['probe', false], ['isolated', true]] as const) {
    mkdirSync(join(dir, name));
    writeFileSync(join(dir, name, 'index.mjs'), PROBE.replace('ISOLATED', String(isolated)));
  }
  const pool = createRunnerPool({ size, runnerPath: RUNNER });
  pools.push(pool);
  const run = async (name: string, params: Record<string, unknown> = {}, { plugin = 'probe', ...opts }: RunOptions = {}) => {
    const outDir = join(dir, 'nodes', name, 'out');
    mkdirSync(outDir, { recursive: true });
    const job: NodeJob = {
      nodeId: nodeId(name), stage: name, key: name as Key, plugin: { kind: 'module', entry: join(dir, plugin, 'index.mjs'), outputs: { out: {} } },
      params, inputs: {}, outDir, scratch: join(dir, 'nodes', name, 'scratch'), seed: 1, env: {},
    };
    const noop = () => undefined;
    const logs: string[] = [];
    const onLog = (level: string, line: string) => { logs.push(`${level}: ${line}`); };
    const outcome = await runInProcess(job, { onLog, onMetric: noop, onProgress: noop }, { signal: new AbortController().signal, pool, ...opts });
    let seen: Seen | undefined;
    try { seen = JSON.parse(readFileSync(join(outDir, 'out', 'seen.json'), 'utf8')) as Seen; } catch { seen = undefined; }
    return { outcome, seen, logs };
  };
  return { pool, run };
}

const waitWarm = (pool: RunnerPool, n: number) => vi.waitFor(() => expect(pool.warmPids).toHaveLength(n), { timeout: 20_000, interval: 20 });

describe('runner pool', () => {
  it('runs a node in a runner started ahead of it; a node that leaves it clean hands it to the next, each keeping its own lines', async () => {
    const { pool, run } = setup(1);
    await waitWarm(pool, 1);
    const [spare] = pool.warmPids;
    const first = await run('a', { say: 'a' });
    expect(first.outcome).toEqual({ ok: true });
    expect(first.seen!.pid).toBe(spare);
    expect(pool.warmPids).toEqual([spare]);
    const second = await run('b', { say: 'b' });
    expect(second.outcome).toEqual({ ok: true });
    expect(second.seen!.pid).toBe(spare);
    for (const [{ logs }, who] of [[first, 'a'], [second, 'b']] as const) {
      expect(logs.filter((l) => l.startsWith('info')).sort()).toEqual([`info: ${who} 1`, `info: ${who} 2`]);
      expect(logs.filter((l) => l.startsWith('error'))).toEqual([`error: ${who} on stderr`]);
    }
  }, 60_000);

  it('a node that leaves work pending, fails, loaded TensorFlow.js, listens on the channel, or whose plugin is isolated does not hand its runner on', async () => {
    const { pool, run } = setup(1);
    const pids: number[] = [];
    for (const [name, params, opts] of [
      ['pending', { leave: true }, {}], ['fails', { fail: true }, {}], ['tf', { tf: true }, {}], ['listens', { listen: true }, {}],
      ['isolated', {}, { plugin: 'isolated' }], ['last', {}, {}],
    ] as const) {
      await waitWarm(pool, 1);
      const { outcome, seen } = await run(name, params, opts);
      expect(outcome.ok).toBe(name !== 'fails');
      pids.push(seen!.pid);
    }
    expect(new Set(pids).size).toBe(6);
  }, 60_000);

  it("a node's changes to the environment and the working directory do not reach the next node in the same runner", async () => {
    const { pool, run } = setup(1);
    await waitWarm(pool, 1);
    const first = await run('messy', { mess: true });
    const second = await run('next');
    expect(second.seen!.pid).toBe(first.seen!.pid);
    expect(second.seen).toMatchObject({ leaked: 'unset', cwd: first.seen!.cwd });
  }, 60_000);

  it('a crash in a runner that ran nodes before fails that node alone', async () => {
    const { pool, run } = setup(1);
    await waitWarm(pool, 1);
    const first = await run('ok');
    const crashed = await run('crashes', { crash: 'exit' });
    expect(crashed.outcome).toEqual({ ok: false, failure: { kind: 'exit-code', process: 'node', code: 3 } });
    expect(first.outcome).toEqual({ ok: true });
    await waitWarm(pool, 1);
    const after = await run('after');
    expect(after.outcome.ok).toBe(true);
    expect(after.seen!.pid).not.toBe(first.seen!.pid);
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
    // The limited process was the node's alone: it is not among the runners waiting for work.
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
    // The runner left waiting ran the nodes above: it is sent the environment anew, since a node may change its own.
    const same = pool.acquire({ env: { ...process.env } });
    expect(same).toMatchObject({ warm: true, keep: true, env: { PATH: process.env.PATH } });
    same.child.kill('SIGKILL');
    const fresh = pool.acquire({ env: { ...process.env } });
    expect(fresh).toMatchObject({ warm: false, keep: true });
    expect(fresh.env).toBeUndefined();
    fresh.child.kill('SIGKILL');
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
