// Node runners started ahead of need: a runner is a process already past Node's start-up and its own
// imports, waiting for a job. It runs one node at a time, so a crash or an out-of-memory fails that
// node only; a runner that fails exits, and the pool starts a replacement as soon as one is taken.
// A runner that a node left clean comes back (`release`) and takes a later node with the engine and
// the plugin already loaded (node-runner.ts decides what clean means).
//
// What cannot change after start-up gets a runner of its own, used for that node only: a node with a
// memory limit (--max-old-space-size, so the limit is the node's alone) and a node whose environment
// differs in variables read while the process starts (NODE_OPTIONS, LD_LIBRARY_PATH…). Any other
// environment (CUDA_VISIBLE_DEVICES per node) is sent with the job and applied by the runner before
// the plugin loads.
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
  /** Whether it was started ahead of need (or ran a node before). */
  warm: boolean;
  /** Whether the runner may come back to the pool after this job (`release`). */
  keep: boolean;
}

export interface RunnerPool {
  /** A runner for one job, at once: a warm one when it fits, else a fresh fork. */
  acquire(req?: RunnerRequest): Runner;
  /** Takes back a runner that finished its job and stays (it said so); it waits for the next one. */
  release(child: ChildProcess): void;
  /** Stops the warm runners and starts no more; runners already handed out are the caller's. */
  close(): Promise<void>;
  /** Process ids of the warm runners waiting now. */
  readonly warmPids: readonly number[];
}

interface Spare { child: ChildProcess; env: Record<string, string>; ranJobs: boolean }

// Read by Node, the dynamic linker or the allocator while a process starts: too late to set after fork.
const STARTUP_VARIABLES = /^(NODE_|UV_|LD_|DYLD_|MALLOC_|GLIBC_TUNABLES$|OPENSSL_)/;

export function createRunnerPool(opts: RunnerPoolOptions = {}): RunnerPool {
  const runnerPath = opts.runnerPath ?? RUNNER;
  const maxSize = Math.max(0, opts.size ?? cpus().length);
  const spares: Spare[] = [];
  const handedOut = new Map<ChildProcess, Record<string, string>>();
  // Handed-out runners that may come back: counted as spares to be, so no runner is started for nothing.
  const returning = new Set<ChildProcess>();
  // Without a fixed size, keep as many ready as were in use at once (a run at -j 1 keeps one).
  let target = opts.size === undefined ? 0 : maxSize;
  let closed = false;
  let refillQueued = false;

  const start = (env: NodeJS.ProcessEnv, execArgv: string[]): ChildProcess => {
    const child = fork(runnerPath, [], { execArgv, env, stdio: ['ignore', 'pipe', 'pipe', 'ipc'], serialization: 'advanced' });
    child.once('exit', () => {
      handedOut.delete(child);
      const i = spares.findIndex((s) => s.child === child);
      if (i >= 0) spares.splice(i, 1);
      // One that was expected back did not stay: start its replacement now.
      if (returning.delete(child)) refill();
    });
    return child;
  };

  const startSpare = () => {
    const env = plainEnv(process.env);
    const child = start(env, []);
    // A waiting runner must not keep this process alive; it exits when this process goes (its IPC channel closes).
    setHeld(child, false);
    spares.push({ child, env, ranJobs: false });
  };

  // Forking costs the caller a few milliseconds: done after the job that needed a runner was sent.
  const refill = () => {
    if (refillQueued || closed) return;
    refillQueued = true;
    setImmediate(() => {
      refillQueued = false;
      while (!closed && spares.length + returning.size < target) startSpare();
    });
  };

  const takeSpare = (): Spare | undefined => {
    while (spares.length) {
      const spare = spares.shift()!;
      if (alive(spare.child)) return spare;
      spare.child.kill('SIGKILL');
    }
    return undefined;
  };

  const handOut = (child: ChildProcess, env: Record<string, string>, keep: boolean) => {
    handedOut.set(child, env);
    if (keep) returning.add(child);
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
        if (!closed) handOut(child, plainEnv(wanted), false);
        return { child, warm: false, keep: false };
      }
      const spare = takeSpare();
      if (!spare || differsAtStartup(spare.env, wanted)) {
        if (spare) spares.unshift(spare);
        const child = start(wanted, []);
        const keep = !differsAtStartup(plainEnv(process.env), wanted);
        handOut(child, plainEnv(wanted), keep);
        return { child, warm: false, keep };
      }
      setHeld(spare.child, true);
      const env = plainEnv(wanted);
      handOut(spare.child, env, true);
      // A node may have changed the runner's own environment: one that ran a node always gets it anew.
      return { child: spare.child, env: !spare.ranJobs && sameEnv(spare.env, env) ? undefined : env, warm: true, keep: true };
    },
    release(child: ChildProcess): void {
      const env = handedOut.get(child);
      handedOut.delete(child);
      returning.delete(child);
      if (closed || env === undefined || !alive(child)) {
        child.kill('SIGKILL');
        return;
      }
      if (spares.length >= Math.max(target, 1)) {
        // Full: a runner that never ran a node makes room, else the one waiting longest goes.
        const cold = spares.findIndex((s) => !s.ranJobs);
        const [out] = spares.splice(cold >= 0 ? cold : spares.length - 1, 1);
        out?.child.kill('SIGKILL');
      }
      setHeld(child, false);
      // Most recently used first: its plugin is loaded, its memory is warm.
      spares.unshift({ child, env, ranJobs: true });
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

function alive(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null && child.connected;
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
