// Runs one node in its own process: loads the plugin, runs it, reports logs/metrics/progress to the parent.
// A crash or out-of-memory here fails this node only.
import { mkdirSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { isExpectedFailure, NodeFailure, type PluginContext, type PluginDefinition } from '../plugin/api.js';
import type { FromChild, NodeJob, RunnerReason, ToChild } from './protocol.js';
import { RUNNER_FILES, strayOutputs, strayOutputsMessage } from './stray-outputs.js';

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

const controller = new AbortController();
let started = false;

// If the scheduler dies (SIGKILL, crash), stop: nobody is left to publish this node's result.
// A runner still waiting for its job (started ahead of need) just goes.
process.on('disconnect', () => {
  if (!started) process.exit(0);
  controller.abort(new Error('the scheduler went away'));
  setTimeout(() => process.exit(1), 200).unref();
});

process.on('message', (msg: ToChild) => {
  if (msg.type === 'cancel') controller.abort(new Error('cancelled'));
  if (msg.type === 'start') {
    started = true;
    if (msg.env) replaceEnv(msg.env);
    void start(msg.job);
  }
});

/** Makes `env` this process's environment (what the plugin, its native libraries and its children see). */
function replaceEnv(env: Record<string, string>): void {
  for (const name of Object.keys(process.env)) if (!(name in env)) delete process.env[name];
  for (const [name, value] of Object.entries(env)) if (process.env[name] !== value) process.env[name] = value;
}

async function start(job: NodeJob): Promise<void> {
  try {
    if (job.plugin.kind === 'command') await runCommand(job);
    else await runModule(job);
    const missing = Object.entries(job.plugin.outputs).filter(([port, spec]) => !spec.optional && !existsDir(join(job.outDir, port))).map(([port]) => port);
    if (missing.length) throw new RunnerFailure(`the plugin did not write output port${missing.length > 1 ? 's' : ''} ${missing.map((p) => `'${p}'`).join(', ')}`, { kind: 'missing-output', ports: missing });
    const ports = Object.keys(job.plugin.outputs);
    await Promise.all(RUNNER_FILES.map((name) => rm(join(job.outDir, '..', name), { force: true })));
    const stray = strayOutputs(job.outDir, ports);
    if (stray.length) throw new RunnerFailure(strayOutputsMessage(stray, ports), { kind: 'stray-output' });
    await send({ type: 'done' });
    process.exit(0);
  } catch (err) {
    const e = err as Error;
    const cancelled = controller.signal.aborted;
    const reason = !cancelled && err instanceof RunnerFailure ? err.reason : undefined;
    await send({ type: 'failed', message: cancelled ? 'cancelled' : (e?.message ?? String(err)), detail: cancelled || isExpectedFailure(err) ? undefined : e?.stack, reason });
    process.exit(1);
  }
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

async function runModule(job: NodeJob): Promise<void> {
  const mod = (await import(pathToFileURL(job.plugin.entry).href)) as { default?: PluginDefinition; plugin?: PluginDefinition };
  const def = mod.default ?? mod.plugin;
  if (!def) throw new Error(`${job.plugin.entry} has no default export`);
  await def.run(context(job));
}

/** Command plugins: params and inputs as JSON files and env variables; `::metric name value [step]` and
 *  `::progress done total` lines on stdout are read as metrics and progress. */
async function runCommand(job: NodeJob): Promise<void> {
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
