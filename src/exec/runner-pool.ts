// Node runners started ahead of need: a runner is a process already past Node's start-up and its own
// imports, waiting for one job. It still runs exactly one node and exits, so a crash or an
// out-of-memory fails that node only; the pool starts a replacement as soon as one is taken.
//
// What cannot change after start-up gets a runner of its own: a node with a memory limit
// (--max-old-space-size) and a node whose environment differs in variables read while the process
// starts (NODE_OPTIONS, LD_LIBRARY_PATH…). Any other environment (CUDA_VISIBLE_DEVICES per node) is
// sent with the job and applied by the runner before the plugin loads.
import { fork, type ChildProcess } from 'node:child_process';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';

const RUNNER = fileURLToPath(new URL('./node-runner.js', import.meta.url));

export interface RunnerPoolOptions {
  /** Warm runners kept ready at most (a run's `jobs`). Default: grows with the runners in use at once, up to the CPU count. */
  size?: number;
  /** The runner script (tests). */
  runnerPath?: string;
}

export interface RunnerRequest {
  /** resources.memoryMb: the V8 heap limit of the node's process. */
  memoryMb?: number;
  /** The node's environment (default: this process's). */
  env?: NodeJS.ProcessEnv;
}

export interface Runner {
  child: ChildProcess;
  /** The environment the runner must switch to before loading the plugin (absent: it has it already). */
  env?: Record<string, string>;
  /** Whether it was started ahead of need. */
  warm: boolean;
}

export interface RunnerPool {
  /** A runner for one job, at once: a warm one when it fits, else a fresh fork. */
  acquire(req?: RunnerRequest): Runner;
  /** Stops the warm runners and starts no more; runners already handed out are the caller's. */
  close(): Promise<void>;
  /** Process ids of the warm runners waiting now. */
  readonly warmPids: readonly number[];
}

interface Spare { child: ChildProcess; env: Record<string, string> }

// Read by Node, the dynamic linker or the allocator while a process starts: too late to set after fork.
const STARTUP_VARIABLES = /^(NODE_|UV_|LD_|DYLD_|MALLOC_|GLIBC_TUNABLES$|OPENSSL_)/;

export function createRunnerPool(opts: RunnerPoolOptions = {}): RunnerPool {
  const runnerPath = opts.runnerPath ?? RUNNER;
  const maxSize = Math.max(0, opts.size ?? cpus().length);
  const spares: Spare[] = [];
  const handedOut = new Set<ChildProcess>();
  // Without a fixed size, keep as many ready as were in use at once (a run at -j 1 keeps one).
  let target = opts.size === undefined ? 0 : maxSize;
  let closed = false;
  let refillQueued = false;

  const start = (env: NodeJS.ProcessEnv, execArgv: string[]): ChildProcess =>
    fork(runnerPath, [], { execArgv, env, stdio: ['ignore', 'pipe', 'pipe', 'ipc'], serialization: 'advanced' });

  const startSpare = () => {
    const env = plainEnv(process.env);
    const child = start(env, []);
    // A waiting runner must not keep this process alive; it exits when this process goes (its IPC channel closes).
    setHeld(child, false);
    const spare: Spare = { child, env };
    child.once('exit', () => { const i = spares.indexOf(spare); if (i >= 0) spares.splice(i, 1); });
    spares.push(spare);
  };

  // Forking costs the caller a few milliseconds: done after the job that needed a runner was sent.
  const refill = () => {
    if (refillQueued || closed) return;
    refillQueued = true;
    setImmediate(() => {
      refillQueued = false;
      while (!closed && spares.length < target) startSpare();
    });
  };

  const takeSpare = (): Spare | undefined => {
    while (spares.length) {
      const spare = spares.shift()!;
      if (spare.child.exitCode === null && spare.child.signalCode === null && spare.child.connected) return spare;
      spare.child.kill('SIGKILL');
    }
    return undefined;
  };

  const handOut = (child: ChildProcess) => {
    handedOut.add(child);
    child.once('exit', () => handedOut.delete(child));
    if (opts.size === undefined) target = Math.min(maxSize, Math.max(target, handedOut.size));
    refill();
  };

  const killSpares = () => { for (const s of spares.splice(0)) s.child.kill('SIGKILL'); };
  process.once('exit', killSpares);
  // A pool of a known size starts its runners now, while the run is still being planned.
  if (target > 0) refill();

  return {
    acquire(req: RunnerRequest = {}): Runner {
      const wanted = req.env ?? process.env;
      if (closed || req.memoryMb) {
        const child = start(wanted, req.memoryMb ? [`--max-old-space-size=${req.memoryMb}`] : []);
        if (!closed) handOut(child);
        return { child, warm: false };
      }
      const spare = takeSpare();
      if (!spare || differsAtStartup(spare.env, wanted)) {
        if (spare) spares.unshift(spare);
        const child = start(wanted, []);
        handOut(child);
        return { child, warm: false };
      }
      setHeld(spare.child, true);
      handOut(spare.child);
      const env = plainEnv(wanted);
      return { child: spare.child, env: sameEnv(spare.env, env) ? undefined : env, warm: true };
    },
    async close(): Promise<void> {
      closed = true;
      process.removeListener('exit', killSpares);
      const waiting = spares.splice(0);
      await Promise.all(waiting.map(({ child }) => new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) { resolve(); return; }
        child.once('exit', () => resolve());
        child.kill('SIGKILL');
      })));
    },
    get warmPids() { return spares.map((s) => s.child.pid ?? 0); },
  };
}

let shared: RunnerPool | undefined;

/** The pool `runInProcess` uses when none is given: sized by use, its runners die with this process. */
export function defaultRunnerPool(): RunnerPool {
  shared ??= createRunnerPool();
  return shared;
}

/** Whether a child's handles keep this process's event loop alive. */
function setHeld(child: ChildProcess, held: boolean): void {
  const handles = [child, child.channel, child.stdout, child.stderr] as ({ ref?: () => void; unref?: () => void } | null | undefined)[];
  for (const h of handles) {
    if (held) h?.ref?.();
    else h?.unref?.();
  }
}

function plainEnv(env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined) out[k] = v;
  return out;
}

function sameEnv(a: Record<string, string>, b: Record<string, string>): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => a[k] === b[k]);
}

/** Whether `wanted` changes a variable that only takes effect when a process starts. */
function differsAtStartup(have: Record<string, string>, wanted: NodeJS.ProcessEnv): boolean {
  for (const k of new Set([...Object.keys(have), ...Object.keys(wanted)])) {
    if (STARTUP_VARIABLES.test(k) && have[k] !== (wanted[k] ?? undefined)) return true;
  }
  return false;
}
