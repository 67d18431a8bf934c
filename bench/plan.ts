// Benchmark: planning speed of large recipes against Snakemake's dry-run of an equivalent workflow.
//
// The workflow (both tools): W independent chains gen[i] → inc[i] (i = 0..W-1), then one fan-in node
// `sum` reading every inc[i]: 2W + 1 nodes. Retort gets a recipe with two `foreach` stages and tiny
// in-process plugins; Snakemake gets three rules with an `{i}` wildcard over the same W items and real
// files. Measured (wall time of whole processes, median of --reps runs, after a warm-up for short runs):
//   - `retort plan` on an empty store             vs `snakemake -n` with no outputs present
//   - `retort run` of a fully cached recipe (local tracking, and --no-track)  vs `snakemake -n` with every output present
//   - `retort plan` of a fully cached recipe      vs the same
//   - `retort plan` after a plugin edit (every node misses and is explained; retort only; --no-edit skips it)
// and at 10k nodes a MET/MISSED line per target of the issue (see targetVerdicts).
// plus in-process phase timings (import, compile, keys, store open, plan) in a fresh node process,
// and CPU profiles of the CLI when the 10k target is missed (or with --profile).
//
//   npx tsc -p bench/tsconfig.json && node dist/bench/plan.js [--nodes 1000,10000] [--reps 3] [--jobs 2]
//        [--populate auto|cli|store] [--cli-populate-max 2001] [--populate-timeout 480] [--edit-timeout 60]
//        [--profile] [--keep] [--no-snakemake] [--no-edit]

import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
/** Repository root: this file runs compiled from dist/bench/ or (in tests) from bench/. */
export const REPO_ROOT = basename(resolve(here, '..')) === 'dist' ? resolve(here, '../..') : resolve(here, '..');
const RETORT_BIN = join(REPO_ROOT, 'bin', 'retort.js');
const RUNNING_COMPILED = basename(resolve(here, '..')) === 'dist';
/** Engine modules for the in-process timings: the compiled ones the CLI runs (sources only under vitest). */
const ENGINE_DIR = RUNNING_COMPILED ? join(REPO_ROOT, 'dist', 'src') : join(REPO_ROOT, 'src');

// ---------------------------------------------------------------------------------------------
// The workflow, written for both tools.

export interface WorkflowShape { width: number; nodes: number }

/** The layered DAG closest to `nodes` nodes: W chains of two plus one fan-in (2W + 1 nodes). */
export function shapeFor(nodes: number): WorkflowShape {
  const width = Math.max(1, Math.round((nodes - 1) / 2));
  return { width, nodes: 2 * width + 1 };
}

// Plugins are plain ESM objects (no imports from the engine) so they load fast and run in-process.
const PLUGINS = {
  gen: `import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
export default {
  id: 'bench-gen', version: '1',
  params: { type: 'object', additionalProperties: false, required: ['i'], properties: { i: { type: 'integer' } } },
  outputs: { out: {} },
  run(ctx) { writeFileSync(join(ctx.output('out'), 'value.txt'), ctx.params.i + '\\n'); },
};
`,
  inc: `import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
export default {
  id: 'bench-inc', version: '1',
  params: { type: 'object', additionalProperties: false, properties: {} },
  inputs: { in: {} },
  outputs: { out: {} },
  run(ctx) {
    const v = Number(readFileSync(join(ctx.inputs.in, 'value.txt'), 'utf8'));
    writeFileSync(join(ctx.output('out'), 'value.txt'), (v + 1) + '\\n');
  },
};
`,
  sum: `import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
export default {
  id: 'bench-sum', version: '1',
  params: { type: 'object', additionalProperties: false, properties: {} },
  inputs: { in: { many: true } },
  outputs: { out: {} },
  run(ctx) {
    let sum = 0;
    for (const dir of ctx.inputs.in) sum += Number(readFileSync(join(dir, 'value.txt'), 'utf8'));
    writeFileSync(join(ctx.output('out'), 'value.txt'), sum + '\\n');
    ctx.metric('total', sum);
  },
};
`,
};

/** Writes the recipe and its plugin folders into `dir`; returns the recipe's path. */
export function writeRetortWorkflow(dir: string, shape: WorkflowShape): string {
  for (const [name, code] of Object.entries(PLUGINS)) {
    mkdirSync(join(dir, 'plugins', name), { recursive: true });
    writeFileSync(join(dir, 'plugins', name, 'index.mjs'), code);
  }
  const items = Array.from({ length: shape.width }, (_, i) => i).join(', ');
  const recipe = `name: bench-plan-${shape.nodes}
vars:
  items: [${items}]
stages:
  gen:
    plugin: ./plugins/gen
    foreach: \${vars.items}
    params:
      i: \${item}
  inc:
    plugin: ./plugins/inc
    foreach: \${vars.items}
    inputs:
      in: \${stages.gen[\${item}].outputs.out}
  sum:
    plugin: ./plugins/sum
    inputs:
      in: \${stages.inc.outputs.out}
`;
  const path = join(dir, 'recipe.yaml');
  writeFileSync(path, recipe);
  return path;
}

/** The same DAG for Snakemake: rule `all` only names the target, so jobs are gen×W, inc×W, sum (2W + 1), plus `all`. */
export function writeSnakefile(dir: string, shape: WorkflowShape): string {
  const text = `ITEMS = list(range(${shape.width}))

rule all:
    input: "sum.txt"

rule sum:
    input: expand("inc/{i}.txt", i=ITEMS)
    output: "sum.txt"
    shell: "cat {input} | awk '{{s += $1}} END {{print s}}' > {output}"

rule inc:
    input: "gen/{i}.txt"
    output: "inc/{i}.txt"
    shell: "echo $(( $(cat {input}) + 1 )) > {output}"

rule gen:
    output: "gen/{i}.txt"
    shell: "echo {wildcards.i} > {output}"
`;
  mkdirSync(dir, { recursive: true });
  const path = join(dir, 'Snakefile');
  writeFileSync(path, text);
  return path;
}

/**
 * Writes every output of the Snakemake workflow with the values its rules would write, with mtimes
 * increasing downstream (gen < inc < sum) so a dry-run finds nothing to do. Running the 2W + 1 jobs
 * through Snakemake would measure its executor, not its planner.
 */
export function fillSnakemakeOutputs(dir: string, shape: WorkflowShape, now = Date.now() / 1000): void {
  mkdirSync(join(dir, 'gen'), { recursive: true });
  mkdirSync(join(dir, 'inc'), { recursive: true });
  let sum = 0;
  for (let i = 0; i < shape.width; i++) {
    const gen = join(dir, 'gen', `${i}.txt`);
    const inc = join(dir, 'inc', `${i}.txt`);
    writeFileSync(gen, `${i}\n`);
    writeFileSync(inc, `${i + 1}\n`);
    utimesSync(gen, now - 20, now - 20);
    utimesSync(inc, now - 10, now - 10);
    sum += i + 1;
  }
  writeFileSync(join(dir, 'sum.txt'), `${sum}\n`);
  utimesSync(join(dir, 'sum.txt'), now, now);
}

export function clearSnakemakeOutputs(dir: string): void {
  for (const p of ['gen', 'inc', 'sum.txt', '.snakemake']) rmSync(join(dir, p), { recursive: true, force: true });
}

// ---------------------------------------------------------------------------------------------
// Measuring.

export function median(values: number[]): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2; // mid < s.length, and mid ≥ 1 when even
}

export interface Timed { ms: number; stdout: string; stderr: string; status: number | null; timedOut?: boolean }

/** Wall time of a whole process, from spawn to exit. */
export function timeProcess(cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Timed {
  const t0 = performance.now();
  const r = spawnSync(cmd, args, { cwd: opts.cwd, env: opts.env ?? process.env, encoding: 'utf8', maxBuffer: 1 << 30, timeout: opts.timeoutMs });
  const ms = performance.now() - t0;
  const timedOut = (r.error as NodeJS.ErrnoException | undefined)?.code === 'ETIMEDOUT';
  if (r.error && !timedOut) throw new Error(`${cmd} ${args.join(' ')}: ${r.error.message}`);
  return { ms, stdout: r.stdout ?? '', stderr: r.stderr ?? '', status: r.status, timedOut };
}

/** Runs that take longer than this need no warm-up (the files were just written or read): the first one counts. */
export const WARM_UP_LIMIT_MS = 3000;

/**
 * Median wall time over `reps` runs; every run must exit 0 and pass `check`. The first run is an
 * unmeasured warm-up unless it takes over WARM_UP_LIMIT_MS (keeps a 10k-node bench under 10 minutes).
 */
export function medianProcess(
  label: string,
  reps: number,
  run: () => Timed,
  check: (t: Timed) => string | undefined = () => undefined,
): { ms: number; runs: number[] } {
  const runs: number[] = [];
  const once = (): number => {
    const t = run();
    const problem = t.status !== 0 ? `exit code ${t.status}` : check(t);
    if (problem) throw new Error(`${label}: ${problem}\n${tail(t.stderr || t.stdout)}`);
    return t.ms;
  };
  const first = once();
  if (first > WARM_UP_LIMIT_MS) runs.push(first);
  while (runs.length < reps) runs.push(once());
  return { ms: median(runs), runs };
}

function tail(text: string, lines = 15): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

// ---------------------------------------------------------------------------------------------
// Retort: CLI runs and in-process phases.

/** The CLI with tracking to the local store under --runs-dir (never a server named by the caller's environment). */
function retort(args: string[], cwd: string, timeoutMs?: number): Timed {
  const env = { ...process.env };
  delete env.MLFLOW_TRACKING_URI;
  return timeProcess(process.execPath, [RETORT_BIN, ...args], { cwd, timeoutMs, env });
}

export interface Phases {
  importMs: number; compileMs: number; keysMs: number; storeOpenMs: number; planMs: number;
  totalMs: number; nodes: number; hits: number; toRun: number;
}

/** The engine's modules from the compiled tree (what the CLI runs), imported at run time so they can be timed. */
async function loadEngine() {
  const url = (p: string) => pathToFileURL(join(ENGINE_DIR, p)).href;
  const [compile, key, plan, hash, store, scheduler] = await Promise.all([
    import(url('graph/compile.js')) as Promise<typeof import('../src/graph/compile.js')>,
    import(url('graph/key.js')) as Promise<typeof import('../src/graph/key.js')>,
    import(url('graph/plan.js')) as Promise<typeof import('../src/graph/plan.js')>,
    import(url('graph/content-hash.js')) as Promise<typeof import('../src/graph/content-hash.js')>,
    import(url('store/store.js')) as Promise<typeof import('../src/store/store.js')>,
    import(url('exec/scheduler.js')) as Promise<typeof import('../src/exec/scheduler.js')>,
  ]);
  return {
    compileRecipe: compile.compileRecipe, computeKeys: key.computeKeys, planRecipe: plan.planRecipe,
    ContentHasher: hash.ContentHasher, Store: store.Store, seedFor: scheduler.seedFor,
  };
}

/** Runs in a fresh process (`--phases`): the same calls as `retort plan`/`run`, timed one by one. */
async function phasesMain(recipePath: string, runsDir: string, mode: 'plan' | 'run'): Promise<void> {
  const t0 = performance.now();
  const { compileRecipe, computeKeys, planRecipe, ContentHasher, Store } = await loadEngine();
  const t1 = performance.now();
  const recipe = await compileRecipe(resolve(recipePath), { env: process.env });
  const t2 = performance.now();
  const keys = await computeKeys(recipe, new ContentHasher(join(runsDir, 'hash-cache.json')), process.env);
  const t3 = performance.now();
  const store = await Store.open(join(runsDir, 'store'));
  const t4 = performance.now();
  const plan = await planRecipe(recipe, keys, store, mode === 'plan' ? { explainMisses: true } : { explainMisses: false, verify: 'stat' });
  const t5 = performance.now();
  const nodes = [...plan.nodes.values()];
  const out: Phases = {
    importMs: t1 - t0, compileMs: t2 - t1, keysMs: t3 - t2, storeOpenMs: t4 - t3, planMs: t5 - t4, totalMs: t5 - t0,
    nodes: nodes.length, hits: nodes.filter((n) => n.status === 'hit').length, toRun: nodes.filter((n) => n.run).length,
  };
  process.stdout.write(JSON.stringify(out) + '\n');
}

function measurePhases(recipePath: string, runsDir: string, mode: 'plan' | 'run', reps: number): Phases {
  const all: Phases[] = [];
  for (let i = 0; i < reps; i++) {
    const t = timeProcess(process.execPath, [fileURLToPath(import.meta.url), '--phases', recipePath, runsDir, mode]);
    if (t.status !== 0) throw new Error(`phase timing failed:\n${tail(t.stderr)}`);
    all.push(JSON.parse(t.stdout.trim().split('\n').pop()!) as Phases);
  }
  const med = (k: keyof Phases) => median(all.map((p) => p[k]));
  const [first] = all;
  if (first === undefined) throw new Error(`phase timing needs at least one repetition, got ${reps}`);
  return {
    importMs: med('importMs'), compileMs: med('compileMs'), keysMs: med('keysMs'), storeOpenMs: med('storeOpenMs'), planMs: med('planMs'),
    totalMs: med('totalMs'), nodes: first.nodes, hits: first.hits, toRun: first.toRun,
  };
}

/**
 * Fills the store without a process per node: compiles, plans, then runs each missing node's plugin
 * in this process and publishes it through the same Store calls (and manifest fields) as the
 * scheduler. Used when per-node processes would take too long; labelled in the output.
 */
export async function populateInProcess(recipePath: string, runsDir: string): Promise<void> {
  const { compileRecipe, computeKeys, planRecipe, ContentHasher, Store, seedFor } = await loadEngine();
  type Metric = import('../src/track/observer.js').MetricPoint;

  const recipe = await compileRecipe(resolve(recipePath), { env: process.env });
  const hasher = new ContentHasher(join(runsDir, 'hash-cache.json'));
  const keys = await computeKeys(recipe, hasher, process.env);
  await hasher.save();
  const store = await Store.open(join(runsDir, 'store'));
  const plan = await planRecipe(recipe, keys, store, { explainMisses: false });
  const runId = `bench-populate-${Date.now()}`;
  for (const id of plan.order) {
    const node = plan.nodes.get(id)!;
    if (!node.run) continue;
    const staging = await store.beginWrite(node.key);
    const metrics: Metric[] = [];
    const inputs: Record<string, string | string[]> = {};
    for (const [port, value] of Object.entries(node.spec.inputs)) {
      const paths = [value].flat().map((ref) => (ref.kind === 'path' ? ref.path : store.portPath(plan.nodes.get(ref.node)!.key, ref.port)));
      inputs[port] = Array.isArray(value) ? paths : paths[0]!; // one reference, one path
    }
    const startedAt = Date.now();
    await node.spec.plugin.def.run({
      params: node.spec.params, inputs, outDir: staging.outDir,
      output: (port: string) => { const d = join(staging.outDir, port); mkdirSync(d, { recursive: true }); return d; },
      log: { info: () => undefined, warn: () => undefined, error: () => undefined },
      metric: (name: string, value: number, step?: number) => { metrics.push({ name, value, step: step ?? 0, timestamp: Date.now() }); },
      progress: () => undefined,
      signal: new AbortController().signal,
      seed: seedFor(node),
      node: { id: node.spec.id, stage: node.spec.stage, key: node.key },
      env: {},
      scratch: store.scratchDir(node.key),
    });
    await store.publish(staging, {
      keyStructure: node.structure, nodeId: node.spec.id, stage: node.spec.stage, recipe: recipe.name,
      plugin: { id: node.spec.plugin.def.id, version: node.spec.plugin.def.version },
      metrics, startedAt, endedAt: Date.now(), runId,
    });
  }
}

// ---------------------------------------------------------------------------------------------
// Snakemake.

export function snakemakeVersion(): string | undefined {
  const r = spawnSync('snakemake', ['--version'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) return undefined;
  return r.stdout.trim();
}

function snakemakeDryRun(dir: string, timeoutMs?: number): Timed {
  return timeProcess('snakemake', ['--dry-run', '--cores', '1', '--snakefile', join(dir, 'Snakefile'), '--directory', dir], { cwd: dir, timeoutMs });
}

/** How many jobs a dry-run would run (its "Job stats" total), or 0 for "Nothing to be done". */
export function snakemakeJobCount(output: string): number {
  if (/Nothing to be done/.test(output)) return 0;
  const m = /^total\s+(\d+)/m.exec(output);
  return m ? Number(m[1]) : NaN;
}

// ---------------------------------------------------------------------------------------------
// CPU profiles: the top functions by self time.

interface CpuProfileNode { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }
export interface CpuProfile { nodes: CpuProfileNode[]; samples: number[]; timeDeltas: number[]; startTime: number; endTime: number }
export interface HotSpot { where: string; selfMs: number; share: number }

function frameName(f: CpuProfileNode['callFrame']): string {
  const file = f.url ? f.url.replace(/^file:\/\//, '').replace(REPO_ROOT + '/', '') : '';
  return `${f.functionName || '(anonymous)'} ${file ? `${file}:${f.lineNumber + 1}` : ''}`.trim();
}

/** Top functions by self time (where the CPU is), all code included (runtime, GC, fs bindings). */
export function hotSpots(profile: CpuProfile, top = 15): HotSpot[] {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<string, number>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const us = profile.timeDeltas[i] ?? 0;
    total += us;
    const f = byId.get(id)?.callFrame;
    if (f) self.set(frameName(f), (self.get(frameName(f)) ?? 0) + us);
  });
  return [...self.entries()].sort((a, b) => b[1] - a[1]).slice(0, top)
    .map(([where, us]) => ({ where, selfMs: us / 1000, share: total ? us / total : 0 }));
}

/** Top engine functions (files under dist/) by inclusive time: which of our calls the time is spent under. */
export function engineHotSpots(profile: CpuProfile, top = 15): HotSpot[] {
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const incl = new Map<string, number>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const us = profile.timeDeltas[i] ?? 0;
    total += us;
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const f = byId.get(cur)?.callFrame;
      if (!f || !f.url.includes('/dist/')) continue;
      const name = frameName(f);
      if (!seen.has(name)) { seen.add(name); incl.set(name, (incl.get(name) ?? 0) + us); }
    }
  });
  return [...incl.entries()].sort((a, b) => b[1] - a[1]).slice(0, top)
    .map(([where, us]) => ({ where, selfMs: us / 1000, share: total ? us / total : 0 }));
}

function profileCli(args: string[], cwd: string, outDir: string, top: number): { self: HotSpot[]; engine: HotSpot[] } {
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  const r = timeProcess(process.execPath, ['--cpu-prof', '--cpu-prof-dir', outDir, RETORT_BIN, ...args], { cwd });
  if (r.status !== 0) throw new Error(`profiling retort ${args[0]} failed:\n${tail(r.stderr)}`);
  const file = readdirSync(outDir).find((f) => f.endsWith('.cpuprofile'));
  if (!file) return { self: [], engine: [] };
  const profile = JSON.parse(readFileSync(join(outDir, file), 'utf8')) as CpuProfile;
  return { self: hotSpots(profile, top), engine: engineHotSpots(profile, top) };
}

// ---------------------------------------------------------------------------------------------
// The report.

export interface Row { what: string; retortMs?: number; snakemakeMs?: number; note?: string }

export function fmtMs(ms: number | undefined): string {
  if (ms === undefined || Number.isNaN(ms)) return '—';
  return ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(0)} ms`;
}

/** snakemake time / retort time, e.g. "12.3×". */
export function ratio(snakemakeMs: number | undefined, retortMs: number | undefined): string {
  if (!snakemakeMs || !retortMs) return '—';
  return `${(snakemakeMs / retortMs).toFixed(1)}×`;
}

export function renderTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join(' | ')} |`;
  return [line(header), `|${widths.map((w, i) => (i === 0 ? ':' : '-') + '-'.repeat(w) + (i === 0 ? '-' : ':')).join('|')}|`, ...rows.map(line)].join('\n');
}

// ---------------------------------------------------------------------------------------------
// Main.

interface Options {
  sizes: number[]; reps: number; jobs: number; populate: 'auto' | 'cli' | 'store'; cliPopulateMax: number;
  profile: boolean; keep: boolean; snakemake: boolean; populateTimeoutMs: number; editTimeoutMs: number; edit: boolean;
}

function parseOptions(argv: string[]): Options {
  const opt = (name: string) => { const i = argv.indexOf(`--${name}`); return i >= 0 ? argv[i + 1] : undefined; };
  const populate = opt('populate') ?? 'auto';
  if (!['auto', 'cli', 'store'].includes(populate)) throw new Error(`--populate expects auto, cli or store, got '${populate}'`);
  return {
    sizes: (opt('nodes') ?? '1000,10000').split(',').map((s) => Number(s.trim())).filter((n) => n > 0),
    reps: Number(opt('reps') ?? 3),
    jobs: Number(opt('jobs') ?? 2),
    populate: populate as Options['populate'],
    cliPopulateMax: Number(opt('cli-populate-max') ?? 2001),
    populateTimeoutMs: Number(opt('populate-timeout') ?? 480) * 1000,
    editTimeoutMs: Number(opt('edit-timeout') ?? 60) * 1000,
    profile: argv.includes('--profile'),
    edit: !argv.includes('--no-edit'),
    keep: argv.includes('--keep'),
    snakemake: !argv.includes('--no-snakemake'),
  };
}

const log = (msg: string) => process.stderr.write(`[bench] ${msg}\n`);

/** What one size measured that later sizes report beside their own figures. */
interface Carry { cliMsPerNode?: { ms: number; nodes: number } }

export interface Verdict { what: string; met: boolean; got: string }

/**
 * The issue's targets at 10k nodes: the plan on an empty store under 0.5 s and at least 10× faster than
 * `snakemake -n`; the fully cached plan and the no-op run with local tracking at least 10× faster than
 * its dry-run with every output present (the no-op run without tracking is reported beside them).
 */
export function targetVerdicts(
  ms: { planEmpty: number; planCached: number; runCached: number; runCachedNoTrack: number },
  smkEmpty: number | undefined,
  smkFull: number | undefined,
): Verdict[] {
  const tenfold = (peer: number | undefined, ours: number) => peer === undefined || peer / ours >= 10;
  const got = (peer: number | undefined, ours: number) => `${fmtMs(ours)}${peer === undefined ? ', no snakemake' : `, ${ratio(peer, ours)}`}`;
  return [
    { what: 'plan, empty store, < 0.5 s and >= 10x snakemake -n', met: ms.planEmpty < 500 && tenfold(smkEmpty, ms.planEmpty), got: got(smkEmpty, ms.planEmpty) },
    { what: 'plan, all cached, >= 10x snakemake -n', met: tenfold(smkFull, ms.planCached), got: got(smkFull, ms.planCached) },
    { what: 'no-op run with local tracking, >= 10x snakemake -n', met: tenfold(smkFull, ms.runCached), got: got(smkFull, ms.runCached) },
    { what: 'no-op run --no-track, >= 10x snakemake -n', met: tenfold(smkFull, ms.runCachedNoTrack), got: got(smkFull, ms.runCachedNoTrack) },
  ];
}

/**
 * `retort plan` after an edit: a new version of the gen plugin makes every node miss, and `plan`
 * explains each miss against the stored entries of its stage. Bounded by --edit-timeout.
 */
function planAfterEdit(shape: WorkflowShape, rDir: string, recipe: string, runsDir: string, o: Options,
  expectCount: (t: Timed, cached: number, toRun: number) => string | undefined): { ms: number; timedOut: boolean } {
  log(`${shape.nodes}: retort plan after a plugin edit`);
  const genPlugin = join(rDir, 'plugins', 'gen', 'index.mjs');
  writeFileSync(genPlugin, PLUGINS.gen.replace("version: '1'", "version: '2'"));
  let planEdited: { ms: number; timedOut: boolean };
  try {
    const first = retort(['plan', recipe, '--runs-dir', runsDir], rDir, o.editTimeoutMs);
    if (first.timedOut) planEdited = { ms: first.ms, timedOut: true };
    else {
      const problem = first.status !== 0 ? `exit code ${first.status}` : expectCount(first, 0, shape.nodes);
      if (problem) throw new Error(`retort plan (after an edit): ${problem}\n${tail(first.stderr || first.stdout)}`);
      planEdited = first.ms > WARM_UP_LIMIT_MS ? { ms: first.ms, timedOut: false }
        : { ms: medianProcess('retort plan (after an edit)', o.reps, () => retort(['plan', recipe, '--runs-dir', runsDir], rDir), (t) => expectCount(t, 0, shape.nodes)).ms, timedOut: false };
    }
  } finally {
    writeFileSync(genPlugin, PLUGINS.gen);
  }
  return planEdited;
}

async function benchSize(requested: number, o: Options, smkVersion: string | undefined, root: string, carry: Carry): Promise<string> {
  const shape = shapeFor(requested);
  const dir = join(root, String(shape.nodes));
  const rDir = join(dir, 'retort');
  const sDir = join(dir, 'snakemake');
  mkdirSync(rDir, { recursive: true });
  const recipe = writeRetortWorkflow(rDir, shape);
  const runsDir = join(rDir, 'runs');
  const out: string[] = [`## ${shape.nodes} nodes (W = ${shape.width} chains of gen → inc, one fan-in)`, ''];
  const expectCount = (t: Timed, cached: number, toRun: number) =>
    t.stdout.includes(`${shape.nodes} nodes: ${cached} cached, ${toRun} to run`) ? undefined : `unexpected plan summary:\n${tail(t.stdout, 2)}`;

  // (a) compile + plan on an empty store.
  log(`${shape.nodes}: retort plan (empty store)`);
  const planEmpty = medianProcess('retort plan (empty)', o.reps, () => retort(['plan', recipe, '--runs-dir', runsDir], rDir), (t) => expectCount(t, 0, shape.nodes));
  const phasesEmpty = measurePhases(recipe, runsDir, 'plan', o.reps);
  // The same without the compiled-plan cache (each process compiles and keys the recipe): a recipe's first plan.
  log(`${shape.nodes}: retort plan (empty store, compile cache removed before each)`);
  const compiledDir = join(runsDir, 'store', 'compiled');
  const planFirst = medianProcess('retort plan (empty, first compile)', o.reps, () => {
    rmSync(compiledDir, { recursive: true, force: true });
    return retort(['plan', recipe, '--runs-dir', runsDir], rDir);
  }, (t) => expectCount(t, 0, shape.nodes));

  // Populate the store: per-node processes when affordable, else in-process (labelled).
  const viaCli = o.populate === 'cli' || (o.populate === 'auto' && shape.nodes <= o.cliPopulateMax);
  log(`${shape.nodes}: populating the store ${viaCli ? `with retort run -j ${o.jobs}` : 'in-process (Store API)'}`);
  const t0 = performance.now();
  const populateFailures: string[] = [];
  if (viaCli) {
    // A failed node is an engine problem worth reporting, not a reason to lose the measurement:
    // run again (cached nodes hit) and say so.
    for (let attempt = 1; ; attempt++) {
      const r = retort(['run', recipe, '--runs-dir', runsDir, '-j', String(o.jobs), '--no-track', '--quiet', '--plain'], rDir, o.populateTimeoutMs);
      if (r.status === 0) break;
      const failed = r.stderr.split('\n').filter((l) => l.startsWith('failed: '));
      const [firstFailure] = failed;
      if (r.status === null || attempt === 3 || firstFailure === undefined) {
        throw new Error(`populating run failed (exit ${r.status}${r.status === null ? ', timed out' : ''}):\n${tail(r.stderr || r.stdout)}`);
      }
      populateFailures.push(`attempt ${attempt}: ${failed.length} node(s) failed, e.g. ${firstFailure.slice(8)}`);
      log(`${shape.nodes}: populating run ${attempt} had failures (${firstFailure}); running again`);
    }
  } else {
    const r = timeProcess(process.execPath, [fileURLToPath(import.meta.url), '--populate-store', recipe, runsDir]);
    if (r.status !== 0) throw new Error(`in-process population failed:\n${tail(r.stderr)}`);
  }
  const populateMs = performance.now() - t0;

  // (b) no-op re-run of the fully cached recipe (default tracking: local MLflow store; and --no-track).
  log(`${shape.nodes}: retort run (fully cached)`);
  const nothing = (t: Timed) => (t.stdout.includes('nothing to do') ? undefined : `expected a no-op run:\n${tail(t.stdout, 3)}`);
  const runCached = medianProcess('retort run (cached)', o.reps, () => retort(['run', recipe, '--runs-dir', runsDir, '--quiet', '--plain'], rDir), nothing);
  const runCachedNoTrack = medianProcess('retort run --no-track (cached)', o.reps, () => retort(['run', recipe, '--runs-dir', runsDir, '--quiet', '--plain', '--no-track'], rDir), nothing);
  const planCached = medianProcess('retort plan (cached)', o.reps, () => retort(['plan', recipe, '--runs-dir', runsDir], rDir), (t) => expectCount(t, shape.nodes, 0));
  const phasesCached = measurePhases(recipe, runsDir, 'run', o.reps);

  // (c) Snakemake dry-runs.
  let smkEmpty: number | undefined;
  let smkFull: number | undefined;
  if (smkVersion) {
    writeSnakefile(sDir, shape);
    clearSnakemakeOutputs(sDir);
    log(`${shape.nodes}: snakemake -n (no outputs)`);
    smkEmpty = medianProcess('snakemake -n (no outputs)', o.reps, () => snakemakeDryRun(sDir), (t) => {
      const n = snakemakeJobCount(t.stdout);
      return n === shape.nodes + 1 ? undefined : `expected ${shape.nodes + 1} jobs (with rule all), found ${n}`;
    }).ms;
    fillSnakemakeOutputs(sDir, shape);
    log(`${shape.nodes}: snakemake -n (all outputs present)`);
    smkFull = medianProcess('snakemake -n (all present)', o.reps, () => snakemakeDryRun(sDir), (t) =>
      snakemakeJobCount(t.stdout) === 0 ? undefined : `expected nothing to be done, found ${snakemakeJobCount(t.stdout)} jobs`).ms;
  }

  // (d) `retort plan` after an edit: a new version of the gen plugin makes every node miss, and
  // `plan` explains each miss against the stored entries of its stage. Bounded by --edit-timeout.
  let planEdited: { ms: number; timedOut: boolean } | undefined;
  if (o.edit) planEdited = planAfterEdit(shape, rDir, recipe, runsDir, o, expectCount);

  if (viaCli) carry.cliMsPerNode = { ms: populateMs / shape.nodes, nodes: shape.nodes };
  const populateLabel = viaCli
    ? `\`retort run -j ${o.jobs} --no-track\`, one process per node: ${fmtMs(populateMs)} (${(populateMs / shape.nodes).toFixed(0)} ms/node)`
    : `IN-PROCESS via the Store API (plugins run in this process, same Store calls and manifest fields as the scheduler; ` +
      `not the CLI, whose process per node would take too long): ${fmtMs(populateMs)}` +
      (carry.cliMsPerNode ? `; the CLI would take about ${fmtMs(carry.cliMsPerNode.ms * shape.nodes)} (EXTRAPOLATED from ${carry.cliMsPerNode.ms.toFixed(0)} ms/node measured at ${carry.cliMsPerNode.nodes} nodes)` : '');
  const rows: string[][] = [
    ['retort plan, empty store  vs  snakemake -n, no outputs', fmtMs(planEmpty.ms), fmtMs(smkEmpty), ratio(smkEmpty, planEmpty.ms)],
    ['retort plan, empty store, first compile (no compile cache)  vs  same', fmtMs(planFirst.ms), fmtMs(smkEmpty), ratio(smkEmpty, planFirst.ms)],
    ['retort run, all cached  vs  snakemake -n, all outputs', fmtMs(runCached.ms), fmtMs(smkFull), ratio(smkFull, runCached.ms)],
    ['retort run --no-track, all cached  vs  same', fmtMs(runCachedNoTrack.ms), fmtMs(smkFull), ratio(smkFull, runCachedNoTrack.ms)],
    ['retort plan, all cached  vs  same', fmtMs(planCached.ms), fmtMs(smkFull), ratio(smkFull, planCached.ms)],
  ];
  if (planEdited) rows.push(['retort plan after a plugin edit (all miss, explained)', planEdited.timedOut ? `> ${fmtMs(planEdited.ms)} (stopped)` : fmtMs(planEdited.ms), '—', '—']);
  out.push(renderTable(['whole process, median of ' + o.reps, 'retort', 'snakemake', 'ratio'], rows), '');
  out.push(`store populated with ${populateLabel}`);
  for (const f of populateFailures) out.push(`ENGINE PROBLEM while populating (run again to complete): ${f}`);
  if (!smkVersion) out.push('snakemake: NOT INSTALLED, no ratios (apt-get install -y --no-install-recommends snakemake)');
  out.push('');
  const phaseRow = (label: string, p: Phases) => [label, fmtMs(p.importMs), fmtMs(p.compileMs), fmtMs(p.keysMs), fmtMs(p.storeOpenMs), fmtMs(p.planMs), fmtMs(p.totalMs), `${p.hits}/${p.nodes}`];
  out.push(renderTable(['in-process phases (median)', 'import', 'compile', 'keys', 'store open', 'plan', 'total', 'hits'],
    [phaseRow('plan, empty store (explain misses)', phasesEmpty), phaseRow('run planning, cached store (verify stat)', phasesCached)]), '');

  // What local tracking adds to a no-op run: the MLflow records of every cached node.
  const trackingMs = runCached.ms - runCachedNoTrack.ms;
  out.push(`local tracking in the no-op run: ${fmtMs(trackingMs)} in all, ${(trackingMs * 1000 / shape.nodes).toFixed(0)} µs per cached node`, '');
  const targets = targetVerdicts(
    { planEmpty: planEmpty.ms, planCached: planCached.ms, runCached: runCached.ms, runCachedNoTrack: runCachedNoTrack.ms },
    smkEmpty,
    smkFull,
  );
  const allMet = targets.every((t) => t.met);
  if (shape.nodes >= 10_000) {
    const firstMet = planFirst.ms < 500 && (smkEmpty === undefined || smkEmpty / planFirst.ms >= 10);
    const perNodeMs = trackingMs / shape.nodes;
    out.push(...targets.map((t) => `target: ${t.what}: ${t.met ? 'MET' : 'MISSED'} (${t.got})`),
      `target: the same plan as a recipe's first (no compile cache), < 0.5 s and >= 10x snakemake -n: ${firstMet ? 'MET' : 'MISSED'} (${fmtMs(planFirst.ms)}${smkEmpty === undefined ? '' : `, ${ratio(smkEmpty, planFirst.ms)}`})`,
      `target: local tracking per cached node < 5 ms: ${perNodeMs < 5 ? 'MET' : 'MISSED'} (${(perNodeMs * 1000).toFixed(0)} µs)`, '');
  }
  if (o.profile || (shape.nodes >= 10_000 && !allMet)) {
    const profDir = join(dir, 'profiles');
    const emptyRuns = join(dir, 'empty-runs');
    const profiled: [string, string[]][] = [
      ['retort plan (empty store)', ['plan', recipe, '--runs-dir', emptyRuns]],
      ['retort plan (cached store)', ['plan', recipe, '--runs-dir', runsDir]],
      ['retort run (cached)', ['run', recipe, '--runs-dir', runsDir, '--quiet', '--plain']],
    ];
    for (const [name, args] of profiled) {
      log(`${shape.nodes}: profiling ${name}`);
      const spots = profileCli([...args], rDir, join(profDir, name.replace(/\W+/g, '-')), 15);
      const table = (list: HotSpot[]) => renderTable(['function', 'time', 'share'], list.map((s) => [s.where, fmtMs(s.selfMs), `${(s.share * 100).toFixed(1)}%`]));
      out.push(`hot spots, ${name}, self time:`, table(spots.self), '', `hot spots, ${name}, engine functions by inclusive (synchronous) time:`, table(spots.engine), '');
    }
    out.push(`profiles kept in ${profDir}` + (o.keep ? '' : ' (removed at the end; pass --keep)'), '');
  }
  return out.join('\n');
}

async function main(argv: string[]): Promise<void> {
  // The bench's own child processes: a recipe path and a runs directory (and, for phases, a mode).
  const [command, recipePath, runsDir, mode] = argv;
  if (command === '--phases' || command === '--populate-store') {
    if (recipePath === undefined || runsDir === undefined) throw new Error(`${command} needs a recipe path and a runs directory`);
    return command === '--phases' ? phasesMain(recipePath, runsDir, mode as 'plan' | 'run') : populateInProcess(recipePath, runsDir);
  }
  const o = parseOptions(argv);
  if (!existsSync(join(REPO_ROOT, 'dist', 'src', 'cli', 'main.js'))) throw new Error(`no compiled engine in ${join(REPO_ROOT, 'dist')}: run \`npx tsc -p tsconfig.json\` first`);
  const smkVersion = o.snakemake ? snakemakeVersion() : undefined;
  const root = mkdtempSync(join(tmpdir(), 'retort-bench-plan-'));
  const head = [
    '# Planning benchmark: retort vs snakemake dry-run',
    `node ${process.version}; ${smkVersion ? `snakemake ${smkVersion}` : o.snakemake ? 'snakemake NOT FOUND on PATH: printing retort figures only' : 'snakemake skipped (--no-snakemake)'}; reps ${o.reps}; work dir ${root}`,
    '',
  ];
  process.stdout.write(head.join('\n') + '\n');
  try {
    const carry: Carry = {};
    for (const n of o.sizes) process.stdout.write(await benchSize(n, o, smkVersion, root, carry) + '\n');
  } finally {
    if (!o.keep) rmSync(root, { recursive: true, force: true });
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).catch((err) => {
    process.stderr.write(`bench/plan: ${(err as Error).message}\n`);
    process.exitCode = 1;
  });
}
