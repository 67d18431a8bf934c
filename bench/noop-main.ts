// Benchmark: a no-op run of the main job (`retort run recipes/llm-r.yaml` with every node cached,
// tables printed) against the no-op of the same DAG in Snakemake (`snakemake -n` with every output
// present) and GNU make (`make -q`), measured in this script. The peers get one rule per node of the
// compiled recipe, each depending on the node's upstream nodes, and outputs with mtimes increasing
// along the DAG. Wall time and CPU time (user + system, from /usr/bin/time) of whole processes,
// median of --reps, after one unmeasured warm-up.
//
// The store must hold a complete run of the recipe first (about 10 CPU-minutes):
//   npx retort run recipes/llm-r.yaml --runs-dir DIR
//   npx tsc -p tsconfig.json && npx tsc -p bench/tsconfig.json
//   node dist/bench/noop-main.js --runs-dir DIR [--recipe recipes/llm-r.yaml] [--reps 5] [--target STAGE]... [--keep]
// With --target the run covers only those stages (a PARTIAL store: labelled so in the output).

import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const REPO_ROOT = basename(resolve(here, '..')) === 'dist' ? resolve(here, '../..') : resolve(here, '..');
const RETORT_BIN = join(REPO_ROOT, 'bin', 'retort.js');
const ENGINE_DIR = basename(resolve(here, '..')) === 'dist' ? join(REPO_ROOT, 'dist', 'src') : join(REPO_ROOT, 'src');

/** A DAG as the peers see it: node names (file-safe) in topological order, each with its upstream names. */
export interface PeerDag { nodes: { name: string; upstream: string[] }[] }

/** File-safe names for node ids such as `baseline[zero-shot]` or `scores#0`. */
export function fileName(id: string): string {
  return id.replace(/[^A-Za-z0-9_-]/g, '_');
}

export function writeSnakefile(dir: string, dag: PeerDag): void {
  mkdirSync(dir, { recursive: true });
  // Rule names must be Python identifiers; the outputs carry the node names.
  const rules = dag.nodes.map((n, i) => `rule node${i}:\n${n.upstream.length ? `    input: ${n.upstream.map((u) => `"out/${u}"`).join(', ')}\n` : ''}    output: "out/${n.name}"\n    shell: "touch {output}"\n`);
  writeFileSync(join(dir, 'Snakefile'), `rule all:\n    input: ${dag.nodes.map((n) => `"out/${n.name}"`).join(', ')}\n\n${rules.join('\n')}`);
}

export function writeMakefile(dir: string, dag: PeerDag): void {
  mkdirSync(dir, { recursive: true });
  const rules = dag.nodes.map((n) => `out/${n.name}: ${n.upstream.map((u) => `out/${u}`).join(' ')}\n\t@mkdir -p out\n\ttouch $@\n`);
  writeFileSync(join(dir, 'Makefile'), `all: ${dag.nodes.map((n) => `out/${n.name}`).join(' ')}\n\n${rules.join('\n')}`);
}

/** Every output present, each newer than its upstream ones (topological order), so both peers find nothing to do. */
export function fillOutputs(dir: string, dag: PeerDag, now = Date.now() / 1000): void {
  mkdirSync(join(dir, 'out'), { recursive: true });
  dag.nodes.forEach((n, i) => {
    const path = join(dir, 'out', n.name);
    writeFileSync(path, '');
    const t = now - dag.nodes.length + i;
    utimesSync(path, t, t);
  });
}

interface Timed { wallMs: number; cpuMs?: number; status: number | null; stdout: string; stderr: string }

const TIME = existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;

/** Wall time from spawn to exit, and the child's CPU time when /usr/bin/time is there. */
function timeProcess(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env): Timed {
  const marker = '@@cpu ';
  const [file, argv] = TIME ? [TIME, ['-f', `${marker}%U %S`, cmd, ...args]] : [cmd, args];
  const t0 = performance.now();
  const r = spawnSync(file, argv, { cwd, env, encoding: 'utf8', maxBuffer: 1 << 28 });
  const wallMs = performance.now() - t0;
  if (r.error) throw new Error(`${cmd}: ${r.error.message}`);
  let stderr = r.stderr ?? '';
  let cpuMs: number | undefined;
  const at = stderr.lastIndexOf(marker);
  if (at >= 0) {
    const [user, sys] = stderr.slice(at + marker.length).trim().split(/\s+/).map(Number);
    cpuMs = ((user ?? 0) + (sys ?? 0)) * 1000;
    stderr = stderr.slice(0, at);
  }
  return { wallMs, cpuMs, status: r.status, stdout: r.stdout ?? '', stderr };
}

export function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Median wall and CPU time of `reps` runs after one warm-up; every run must pass `check`. */
function measure(label: string, reps: number, run: () => Timed, check: (t: Timed) => string | undefined): { wallMs: number; cpuMs?: number } {
  const runs: Timed[] = [];
  for (let i = 0; i <= reps; i++) {
    const t = run();
    const problem = check(t);
    if (problem) throw new Error(`${label}: ${problem}\n${(t.stderr || t.stdout).trimEnd().split('\n').slice(-10).join('\n')}`);
    if (i > 0) runs.push(t);
  }
  const cpu = runs.map((t) => t.cpuMs).filter((c): c is number => c !== undefined);
  return { wallMs: median(runs.map((t) => t.wallMs)), cpuMs: cpu.length === runs.length ? median(cpu) : undefined };
}

/** The compiled recipe's DAG, from the engine the CLI runs. */
async function recipeDag(recipe: string): Promise<PeerDag> {
  const { compileRecipe } = await import(pathToFileURL(join(ENGINE_DIR, 'graph', 'compile.js')).href) as typeof import('../src/graph/compile.js');
  const compiled = await compileRecipe(recipe, { env: process.env });
  return { nodes: compiled.order.map((id) => ({ name: fileName(id), upstream: compiled.nodes.get(id)!.upstream.map(fileName) })) };
}

const fmt = (ms: number | undefined) => (ms === undefined ? '—' : ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(0)} ms`);
const ratio = (peer: number | undefined, ours: number | undefined) => (peer && ours ? `${Number((peer / ours).toPrecision(2))}×` : '—');

function opt(argv: string[], name: string): string | undefined {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : undefined;
}

async function main(argv: string[]): Promise<void> {
  const runsDir = opt(argv, 'runs-dir');
  if (!runsDir) throw new Error('--runs-dir DIR is required: a runs folder holding a complete run of the recipe');
  const recipe = resolve(opt(argv, 'recipe') ?? join(REPO_ROOT, 'recipes', 'llm-r.yaml'));
  const reps = Number(opt(argv, 'reps') ?? 5);
  const targets = argv.flatMap((a, i) => (a === '--target' && argv[i + 1] ? ['--target', argv[i + 1]!] : []));
  const env = { ...process.env };
  delete env.MLFLOW_TRACKING_URI; // the local MLflow store under --runs-dir, as the README's main job
  const dag = await recipeDag(recipe);

  const retortArgs = [RETORT_BIN, 'run', recipe, '--runs-dir', resolve(runsDir), '--plain', ...targets];
  const ours = measure('retort run (cached)', reps, () => timeProcess(process.execPath, retortArgs, REPO_ROOT, env), (t) =>
    t.status !== 0 ? `exit code ${t.status}` : /nothing to do: every node was cached/.test(t.stdout) ? undefined : 'not fully cached: run the recipe into --runs-dir first');

  const root = mkdtempSync(join(tmpdir(), 'retort-bench-noop-'));
  const rows: string[][] = [];
  try {
    const smk = spawnSync('snakemake', ['--version'], { encoding: 'utf8' });
    let smkMs: { wallMs: number; cpuMs?: number } | undefined;
    if (!smk.error && smk.status === 0) {
      const dir = join(root, 'snakemake');
      writeSnakefile(dir, dag);
      fillOutputs(dir, dag);
      smkMs = measure('snakemake -n', reps, () => timeProcess('snakemake', ['-n', '--cores', '1'], dir), (t) =>
        t.status === 0 && /Nothing to be done/.test(t.stdout + t.stderr) ? undefined : 'expected nothing to be done');
    }
    const makeDir = join(root, 'make');
    writeMakefile(makeDir, dag);
    fillOutputs(makeDir, dag);
    const makeMs = measure('make -q', reps, () => timeProcess('make', ['-q'], makeDir), (t) => (t.status === 0 ? undefined : `make -q says out of date (exit ${t.status})`));

    rows.push(['retort run (cached, tables printed)', fmt(ours.wallMs), fmt(ours.cpuMs), '', '']);
    if (smkMs) rows.push([`snakemake -n, ${dag.nodes.length} rules, outputs present`, fmt(smkMs.wallMs), fmt(smkMs.cpuMs), ratio(smkMs.wallMs, ours.wallMs), ratio(smkMs.cpuMs, ours.cpuMs)]);
    else rows.push(['snakemake: NOT INSTALLED', '—', '—', '—', '—']);
    rows.push([`make -q, ${dag.nodes.length} targets, up to date`, fmt(makeMs.wallMs), fmt(makeMs.cpuMs), ratio(makeMs.wallMs, ours.wallMs), ratio(makeMs.cpuMs, ours.cpuMs)]);
  } finally {
    if (!argv.includes('--keep')) rmSync(root, { recursive: true, force: true });
  }
  const header = ['whole process, median of ' + reps, 'wall', 'cpu', 'peer/retort wall', 'peer/retort cpu'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ')} |`;
  process.stdout.write([
    `# No-op run of ${basename(recipe)} (${dag.nodes.length} nodes)${targets.length ? ` — PARTIAL: only ${targets.filter((_, i) => i % 2).join(', ')} (and what they need) are cached and reported` : ''}`,
    `node ${process.version}; runs dir ${resolve(runsDir)}; target: under 2 s of wall time (issue 11)`,
    '',
    line(header), `|${widths.map((w, i) => (i === 0 ? ':' : '-') + '-'.repeat(w) + (i === 0 ? '-' : ':')).join('|')}|`, ...rows.map(line),
    '',
    `target, retort run of the cached main job under 2 s: ${ours.wallMs < 2000 ? 'MET' : 'MISSED'} (${fmt(ours.wallMs)} wall, ${fmt(ours.cpuMs)} cpu)`,
    '',
  ].join('\n'));
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).catch((err) => {
    process.stderr.write(`bench/noop-main: ${(err as Error).message}\n`);
    process.exitCode = 1;
  });
}
