// Runs nodes in its own process, one at a time: loads the plugin, runs it, reports logs/metrics/progress
// to the parent. A crash or out-of-memory here fails the node it is running only.
//
// After a node that succeeded, the runner stays for another job when the parent allows it and the
// node left the process clean: nothing pending (no timer, open file, socket or child process that
// was not there before the job), no listener of its own on the runner's channel, a modest memory
// footprint, TensorFlow.js not loaded, a plugin that does not ask for a process of its own, and
// fewer than MAX_JOBS jobs run. Otherwise it exits, as after any failure.
import { mkdirSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { isExpectedFailure, NodeFailure, type PluginContext, type PluginDefinition } from '../plugin/api.js';
import { JOB_END_MARK, type FromChild, type NodeJob, type RunnerReason, type ToChild } from './protocol.js';
import { RUNNER_FILES, strayOutputs, strayOutputsMessage } from './stray-outputs.js';

/** Jobs one runner runs at most: bounds what a plugin's leftovers (caches, leaked tensors) can add up to. */
const MAX_JOBS = 64;
/** Resident memory above which a runner does not take another job (a training node's heap and wasm memory). */
const MAX_RSS_BYTES = 512 * 2 ** 20;

/** A failure the runner found itself (not the plugin's error), with its reason for the scheduler. */
class RunnerFailure extends NodeFailure {
  constructor(message: string, readonly reason: RunnerReason) {
    super(message);
  }
}

const send = (msg: FromChild): Promise<void> => new Promise((resolve) => {
  if (!process.send) { resolve(); return; }
  process.send(msg, undefined, {}, () => resolve());
});

const write = (stream: NodeJS.WriteStream, text: string): Promise<void> => new Promise((resolve) => { stream.write(text, () => resolve()); });

// The streams are created on first use: made now, so that they are part of what an idle runner holds.
void process.stdout;
void process.stderr;
const HOME_DIR = process.cwd();
/** What a runner waiting for a job holds (its IPC channel and output pipes), taken before its first job. */
let idleResources: Map<string, number> | undefined;

let controller = new AbortController();
let busy = false;
let jobsRun = 0;

// If the scheduler dies (SIGKILL, crash), stop: nobody is left to publish this node's result.
// A runner waiting for a job just goes.
process.on('disconnect', () => {
  if (!busy) process.exit(0);
  controller.abort(new Error('the scheduler went away'));
  setTimeout(() => process.exit(1), 200).unref();
});

process.on('message', (msg: ToChild) => {
  if (msg.type === 'cancel') controller.abort(new Error('cancelled'));
  if (msg.type === 'start') {
    idleResources ??= resourceCounts();
    busy = true;
    jobsRun++;
    controller = new AbortController();
    if (msg.env) replaceEnv(msg.env);
    void start(msg.job, msg.keep === true);
  }
});

/** Makes `env` this process's environment (what the plugin, its native libraries and its children see). */
function replaceEnv(env: Record<string, string>): void {
  for (const name of Object.keys(process.env)) if (!(name in env)) delete process.env[name];
  for (const [name, value] of Object.entries(env)) if (process.env[name] !== value) process.env[name] = value;
}

async function start(job: NodeJob, keep: boolean): Promise<void> {
  try {
    const def = job.plugin.kind === 'command' ? await runCommand(job) : await runModule(job);
    const missing = Object.entries(job.plugin.outputs).filter(([port, spec]) => !spec.optional && !existsDir(join(job.outDir, port))).map(([port]) => port);
    if (missing.length) throw new RunnerFailure(`the plugin did not write output port${missing.length > 1 ? 's' : ''} ${missing.map((p) => `'${p}'`).join(', ')}`, { kind: 'missing-output', ports: missing });
    const ports = Object.keys(job.plugin.outputs);
    await Promise.all(RUNNER_FILES.map((name) => rm(join(job.outDir, '..', name), { force: true })));
    const stray = strayOutputs(job.outDir, ports);
    if (stray.length) throw new RunnerFailure(strayOutputsMessage(stray, ports), { kind: 'stray-output' });
    // One turn of the event loop first: the module loader's own file reads finish in it.
    await new Promise((resolve) => setImmediate(resolve));
    const stays = keep && def?.isolated !== true && leftClean();
    if (!stays) {
      await send({ type: 'done' });
      process.exit(0);
    }
    await Promise.all([write(process.stdout, JOB_END_MARK), write(process.stderr, JOB_END_MARK)]);
    busy = false;
    await send({ type: 'done', stays: true });
  } catch (err) {
    const e = err as Error;
    const cancelled = controller.signal.aborted;
    const reason = !cancelled && err instanceof RunnerFailure ? err.reason : undefined;
    await send({ type: 'failed', message: cancelled ? 'cancelled' : (e?.message ?? String(err)), detail: cancelled || isExpectedFailure(err) ? undefined : e?.stack, reason });
    process.exit(1);
  }
}

/** Whether another node may run here: nothing of this one is still pending, and the process is not large. */
function leftClean(): boolean {
  if (jobsRun >= MAX_JOBS || process.exitCode !== undefined) return false;
  if (process.memoryUsage.rss() > MAX_RSS_BYTES) return false;
  // TensorFlow.js keeps one engine per process (its backend, flags, variables and memory): a node that
  // loaded it leaves its runner, so that no later node's numerics can depend on what it left there.
  if ('_tfengine' in globalThis) return false;
  // A listener a node added to the runner's own channel would hear the next node's messages.
  if (process.listenerCount('message') !== 1 || process.listenerCount('disconnect') !== 1) return false;
  const now = resourceCounts();
  for (const [kind, count] of now) if (count > (idleResources?.get(kind) ?? 0)) return false;
  try {
    process.chdir(HOME_DIR);
  } catch {
    return false;
  }
  return true;
}

/** How many of each kind of resource keep the event loop alive (timers, pipes, pending file operations…). */
function resourceCounts(): Map<string, number> {
  const counts = new Map<string, number>();
  for (const kind of process.getActiveResourcesInfo()) counts.set(kind, (counts.get(kind) ?? 0) + 1);
  return counts;
}

function existsDir(path: string): boolean {
  try { mkdirSync(path, { recursive: false }); return false; } catch (err) { return (err as NodeJS.ErrnoException).code === 'EEXIST'; }
}

function context(job: NodeJob): PluginContext {
  return {
    params: job.params,
    inputs: job.inputs,
    outDir: job.outDir,
    // Created when first asked for, so nodes that never use it cost nothing.
    get scratch() {
      mkdirSync(job.scratch, { recursive: true });
      return job.scratch;
    },
    output: (port) => {
      if (!(port in job.plugin.outputs)) throw new Error(`unknown output port '${port}' (declared: ${Object.keys(job.plugin.outputs).join(', ')})`);
      const dir = join(job.outDir, port);
      mkdirSync(dir, { recursive: true });
      return dir;
    },
    log: {
      info: (message) => void send({ type: 'log', level: 'info', message }),
      warn: (message) => void send({ type: 'log', level: 'warn', message }),
      error: (message) => void send({ type: 'log', level: 'error', message }),
    },
    metric: (name, value, step) => void send({ type: 'metric', name, value, step: step ?? 0, timestamp: Date.now() }),
    progress: (done, total) => void send({ type: 'progress', done, total }),
    signal: controller.signal,
    seed: job.seed,
    node: { id: job.nodeId, stage: job.stage, key: job.key },
    env: job.env,
  };
}

async function runModule(job: NodeJob): Promise<PluginDefinition> {
  const mod = (await import(pathToFileURL(job.plugin.entry).href)) as { default?: PluginDefinition; plugin?: PluginDefinition };
  const def = mod.default ?? mod.plugin;
  if (!def) throw new Error(`${job.plugin.entry} has no default export`);
  await def.run(context(job));
  return def;
}

/** Command plugins: params and inputs as JSON files and env variables; `::metric name value [step]` and
 *  `::progress done total` lines on stdout are read as metrics and progress. */
async function runCommand(job: NodeJob): Promise<undefined> {
  const { execa } = await import('execa');
  const ctx = context(job);
  const paramsFile = join(job.outDir, '..', 'params.json');
  const inputsFile = join(job.outDir, '..', 'inputs.json');
  await writeFile(paramsFile, JSON.stringify(job.params, null, 2));
  await writeFile(inputsFile, JSON.stringify(job.inputs, null, 2));
  const env: Record<string, string> = {
    ...job.env,
    RETORT_PARAMS: paramsFile,
    RETORT_INPUTS: inputsFile,
    RETORT_OUT: job.outDir,
    RETORT_SCRATCH: ctx.scratch,
    RETORT_SEED: String(job.seed),
    RETORT_NODE: job.nodeId,
    RETORT_KEY: job.key,
  };
  for (const [port, value] of Object.entries(job.inputs)) env[`RETORT_INPUT_${envName(port)}`] = Array.isArray(value) ? value.join('\n') : value;
  for (const port of Object.keys(job.plugin.outputs)) env[`RETORT_OUTPUT_${envName(port)}`] = ctx.output(port);
  const [file, ...args] = job.plugin.command ?? [];
  if (file === undefined) throw new Error(`internal: the plugin in ${job.plugin.entry} runs as a command but declares none`);
  const child = execa(file, args, { cwd: job.plugin.entry, env, extendEnv: true, cancelSignal: controller.signal, reject: false, stdin: 'ignore', lines: false, buffer: false });
  const readLines = (stream: NodeJS.ReadableStream | null, level: 'info' | 'error') => new Promise<void>((resolve) => {
    if (!stream) { resolve(); return; }
    let pending = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      pending += chunk;
      let nl: number;
      while ((nl = pending.indexOf('\n')) >= 0) { handleLine(pending.slice(0, nl), level, ctx); pending = pending.slice(nl + 1); }
    });
    stream.on('end', () => { if (pending) handleLine(pending, level, ctx); resolve(); });
  });
  const [result] = await Promise.all([child, readLines(child.stdout, 'info'), readLines(child.stderr, 'error')]);
  if (controller.signal.aborted) throw new Error('cancelled');
  if (result.failed) {
    throw result.signal
      ? new RunnerFailure(`command killed by ${result.signal}`, { kind: 'signal', signal: result.signal })
      : new RunnerFailure(`command exited with code ${result.exitCode}`, { kind: 'exit-code', code: result.exitCode ?? -1 });
  }
  return undefined;
}

function handleLine(line: string, level: 'info' | 'error', ctx: PluginContext): void {
  const metric = /^::metric\s+(\S+)\s+(\S+)(?:\s+(\d+))?\s*$/.exec(line);
  if (metric) { ctx.metric(metric[1]!, Number(metric[2]), metric[3] ? Number(metric[3]) : undefined); return; }
  const progress = /^::progress\s+(\d+)\s+(\d+)\s*$/.exec(line);
  if (progress) { ctx.progress(Number(progress[1]), Number(progress[2])); return; }
  if (level === 'error') ctx.log.error(line); else ctx.log.info(line);
}

function envName(port: string): string {
  return port.toUpperCase().replace(/[^A-Z0-9]/g, '_');
}
