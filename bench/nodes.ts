// Benchmark: the executor's cost per node. N trivial independent nodes (each writes one small file)
// at -j J through the real CLI, with and without local MLflow tracking, against Snakemake and GNU
// make running the equivalent N trivial jobs in the same script. Rounds alternate the four tools so
// a machine whose load drifts affects them alike; the median round counts.
// Also, in this process: the local MLflow store's cost per node (the observer's calls of one node,
// over the file store), and the bare start-up of a Node process (the floor of a process per node).
//
//   npx tsc -p tsconfig.json && npx tsc -p bench/tsconfig.json
//   node dist/bench/nodes.js [--nodes 200] [--jobs 2] [--rounds 3] [--no-snakemake] [--no-make] [--keep]

import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { keyFromDigest, nodeId } from '../src/util/ids.js';

const here = dirname(fileURLToPath(import.meta.url));
const REPO_ROOT = basename(resolve(here, '..')) === 'dist' ? resolve(here, '../..') : resolve(here, '..');
const RETORT_BIN = join(REPO_ROOT, 'bin', 'retort.js');
const ENGINE_DIR = basename(resolve(here, '..')) === 'dist' ? join(REPO_ROOT, 'dist', 'src') : join(REPO_ROOT, 'src');

// ---------------------------------------------------------------------------------------------
// The workload, written for each tool: job i writes its number into a file of its own.

const PLUGIN = `import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
export default {
  id: 'bench-trivial', version: '1',
  params: { type: 'object', additionalProperties: false, required: ['i'], properties: { i: { type: 'integer' } } },
  outputs: { out: {} },
  run(ctx) { writeFileSync(join(ctx.output('out'), 'value.txt'), ctx.params.i + '\\n'); },
};
`;

export function writeRetortWorkload(dir: string, nodes: number): string {
  mkdirSync(join(dir, 'plugins', 'trivial'), { recursive: true });
  writeFileSync(join(dir, 'plugins', 'trivial', 'index.mjs'), PLUGIN);
  const items = Array.from({ length: nodes }, (_, i) => i).join(', ');
  const path = join(dir, 'recipe.yaml');
  writeFileSync(path, `name: bench-nodes\nvars:\n  items: [${items}]\nstages:\n  t:\n    plugin: ./plugins/trivial\n    foreach: \${vars.items}\n    params:\n      i: \${item}\n`);
  return path;
}

export function writeSnakefile(dir: string, nodes: number): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'Snakefile'), `ITEMS = list(range(${nodes}))

rule all:
    input: expand("out/{i}.txt", i=ITEMS)

rule t:
    output: "out/{i}.txt"
    shell: "echo {wildcards.i} > {output}"
`);
}

export function writeMakefile(dir: string, nodes: number): void {
  mkdirSync(dir, { recursive: true });
  const targets = Array.from({ length: nodes }, (_, i) => `out/${i}.txt`).join(' ');
  writeFileSync(join(dir, 'Makefile'), `all: ${targets}\n\nout/%.txt:\n\t@mkdir -p out\n\techo $* > $@\n`);
}

// ---------------------------------------------------------------------------------------------
// Measuring.

export function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

interface Timed { ms: number; status: number | null; output: string }

function timeProcess(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env): Timed {
  const t0 = performance.now();
  const r = spawnSync(cmd, args, { cwd, env, encoding: 'utf8', maxBuffer: 1 << 28 });
  const ms = performance.now() - t0;
  if (r.error) throw new Error(`${cmd} ${args.join(' ')}: ${r.error.message}`);
  return { ms, status: r.status, output: `${r.stdout ?? ''}${r.stderr ?? ''}` };
}

function mustSucceed(label: string, t: Timed, check?: () => string | undefined): number {
  const problem = t.status !== 0 ? `exit code ${t.status}` : check?.();
  if (problem) throw new Error(`${label}: ${problem}\n${t.output.trimEnd().split('\n').slice(-15).join('\n')}`);
  return t.ms;
}

function countFiles(dir: string): number {
  try { return readdirSync(dir).length; } catch { return 0; }
}

interface Tool { name: string; label: string; once: () => number }

function retortTool(dir: string, nodes: number, jobs: number, track: boolean): Tool {
  const work = join(dir, track ? 'retort-track' : 'retort');
  const recipe = writeRetortWorkload(work, nodes);
  const env = { ...process.env };
  delete env.MLFLOW_TRACKING_URI; // the local store under runs/, never a server of the caller's
  return {
    name: track ? 'retort-track' : 'retort',
    label: track ? `retort run -j ${jobs} (local MLflow store)` : `retort run -j ${jobs} --no-track`,
    once: () => {
      rmSync(join(work, 'runs'), { recursive: true, force: true });
      const args = [RETORT_BIN, 'run', recipe, '-j', String(jobs), '--plain', '--quiet', ...(track ? [] : ['--no-track'])];
      const t = timeProcess(process.execPath, args, work, env);
      return mustSucceed('retort', t, () => (t.output.includes(`${nodes} ran, 0 cached, 0 failed`) ? undefined : 'not every node ran'));
    },
  };
}

function snakemakeTool(dir: string, nodes: number, jobs: number): Tool {
  const work = join(dir, 'snakemake');
  writeSnakefile(work, nodes);
  return {
    name: 'snakemake', label: `snakemake -j ${jobs}`,
    once: () => {
      for (const p of ['out', '.snakemake']) rmSync(join(work, p), { recursive: true, force: true });
      const t = timeProcess('snakemake', ['-j', String(jobs), '--quiet'], work);
      return mustSucceed('snakemake', t, () => (countFiles(join(work, 'out')) === nodes ? undefined : 'outputs missing'));
    },
  };
}

function makeTool(dir: string, nodes: number, jobs: number): Tool {
  const work = join(dir, 'make');
  writeMakefile(work, nodes);
  return {
    name: 'make', label: `make -j ${jobs}`,
    once: () => {
      rmSync(join(work, 'out'), { recursive: true, force: true });
      const t = timeProcess('make', ['-s', '-j', String(jobs)], work);
      return mustSucceed('make', t, () => (countFiles(join(work, 'out')) === nodes ? undefined : 'outputs missing'));
    },
  };
}

function haveCommand(cmd: string, args: string[]): string | undefined {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim().split('\n')[0] : undefined;
}

/** Median wall time of a bare `node -e 0`: the start-up every node process pays at least once. */
function nodeStartupMs(reps: number): number {
  const runs: number[] = [];
  for (let i = 0; i < reps; i++) runs.push(timeProcess(process.execPath, ['-e', '0'], tmpdir()).ms);
  return median(runs);
}

/**
 * The local MLflow store's cost per node in this process: what the scheduler awaits and does for one
 * executed node (nodeStarted with 3 params, 3 metric points, nodeFinished), and what closing costs.
 */
export async function trackingCostPerNode(dir: string, nodes: number): Promise<{ perNodeMs: number; closeMs: number }> {
  const { createTracker } = await import(pathToFileURL(join(ENGINE_DIR, 'track', 'index.js')).href) as typeof import('../src/track/index.js');
  const runsDir = join(dir, 'tracking-inproc');
  rmSync(runsDir, { recursive: true, force: true });
  const tracker = createTracker({ enabled: true, experiment: 'bench-nodes' }, { runsDir, env: {}, warn: (m) => { throw new Error(m); }, flushIntervalMs: 0 });
  const now = Date.now();
  await tracker.runStarted({ runId: 'bench', recipe: 'recipe.yaml', recipeName: 'bench-nodes', startedAt: now, argv: [], track: { enabled: true, experiment: 'bench-nodes' }, cwd: dir });
  const t0 = performance.now();
  for (let i = 0; i < nodes; i++) {
    const node = { id: nodeId(`t[${i}]`), stage: 't', key: keyFromDigest(i.toString(16).padStart(64, '0')), plugin: { id: 'bench-trivial', version: '1' }, params: { i, a: 'x', b: 2 }, keyStructure: {} };
    await tracker.nodeStarted(node);
    for (let s = 0; s < 3; s++) tracker.nodeMetric(node, { name: 'm', value: s, step: s, timestamp: now + s });
    await tracker.nodeFinished(node, { status: 'ok', metrics: [], startedAt: now, endedAt: now + 5, artifactDir: join(dir, 'x') });
  }
  const t1 = performance.now();
  await tracker.runFinished({ status: 'ok', hits: 0, ran: nodes, failed: 0, endedAt: Date.now() });
  await tracker.close();
  return { perNodeMs: (t1 - t0) / nodes, closeMs: performance.now() - t1 };
}

// ---------------------------------------------------------------------------------------------
// Output.

const fmt = (ms: number) => (ms >= 100 ? ms.toFixed(0) : ms >= 10 ? ms.toFixed(1) : ms.toFixed(2));

export function renderTable(rows: string[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  const line = (r: string[]) => `| ${r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join(' | ')} |`;
  return [line(rows[0]!), `|${widths.map((w, c) => (c === 0 ? ':' : '') + '-'.repeat(w + (c === 0 ? 1 : 1)) + (c === 0 ? '' : ':')).join('|')}|`, ...rows.slice(1).map(line)].join('\n');
}

interface Options { nodes: number; jobs: number; rounds: number; snakemake: boolean; make: boolean; keep: boolean }

function parseOptions(argv: string[]): Options {
  const opt = (name: string) => { const i = argv.indexOf(`--${name}`); return i >= 0 ? argv[i + 1] : undefined; };
  return {
    nodes: Number(opt('nodes') ?? 200), jobs: Number(opt('jobs') ?? 2), rounds: Number(opt('rounds') ?? 3),
    snakemake: !argv.includes('--no-snakemake'), make: !argv.includes('--no-make'), keep: argv.includes('--keep'),
  };
}

async function main(argv: string[]): Promise<void> {
  const o = parseOptions(argv);
  const dir = mkdtempSync(join(tmpdir(), 'bench-nodes-'));
  try {
    const snakemake = o.snakemake ? haveCommand('snakemake', ['--version']) : undefined;
    const make = o.make ? haveCommand('make', ['--version']) : undefined;
    console.log(`# ${o.nodes} trivial nodes at -j ${o.jobs}; node ${process.version}; ${cpus().length} cores; load ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
    console.log(`# peers: ${snakemake ? `snakemake ${snakemake}` : 'snakemake: not found'}; ${make ?? 'make: not found'}; median of ${o.rounds} alternating rounds`);
    const tools: Tool[] = [retortTool(dir, o.nodes, o.jobs, false), retortTool(dir, o.nodes, o.jobs, true)];
    if (snakemake) tools.push(snakemakeTool(dir, o.nodes, o.jobs));
    if (make) tools.push(makeTool(dir, o.nodes, o.jobs));
    for (const t of tools) t.once(); // warm-up: file caches, Python's bytecode
    const runs = new Map<string, number[]>(tools.map((t) => [t.name, []]));
    for (let round = 0; round < o.rounds; round++) for (const t of tools) runs.get(t.name)!.push(t.once());
    const perNode = new Map(tools.map((t) => [t.name, median(runs.get(t.name)!) / o.nodes]));
    const startup = nodeStartupMs(10);
    const inproc = await trackingCostPerNode(dir, o.nodes);

    const snake = perNode.get('snakemake');
    const mk = perNode.get('make');
    const rows = [['tool', 'ms per node', 'rounds (s)', 'vs snakemake', 'vs make']];
    for (const t of tools) {
      const ms = perNode.get(t.name)!;
      const vs = (peer: number | undefined) => (peer === undefined || t.name === 'snakemake' && peer === snake || t.name === 'make' && peer === mk ? '' : `${(ms / peer).toFixed(2)}×`);
      rows.push([t.label, fmt(ms), runs.get(t.name)!.map((r) => (r / 1000).toFixed(2)).join(' '), vs(snake), vs(mk)]);
    }
    console.log(renderTable(rows));
    console.log('');
    const tracked = perNode.get('retort-track')! - perNode.get('retort')!;
    console.log(`local tracking, whole runs: ${fmt(tracked)} ms per node (with minus without)`);
    console.log(`local tracking, in process: ${fmt(inproc.perNodeMs)} ms per node awaited by the scheduler, plus ${fmt(inproc.closeMs / o.nodes)} ms per node of batched file writes (here all at close: ${fmt(inproc.closeMs)} ms)`);
    console.log(`bare \`node -e 0\`: ${fmt(startup)} ms (a process per node pays this; -j ${o.jobs} overlaps ${o.jobs})`);
    if (snake !== undefined) {
      const met = perNode.get('retort')! < snake && perNode.get('retort-track')! < snake;
      console.log(`target (faster than snakemake, both with and without tracking): ${met ? 'MET' : 'MISSED'}; tracking under 5 ms per node (awaited plus batched writes): ${inproc.perNodeMs + inproc.closeMs / o.nodes < 5 ? 'MET' : 'MISSED'}`);
    }
  } finally {
    if (o.keep) console.log(`kept ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).catch((err) => {
    console.error((err as Error).stack ?? String(err));
    process.exit(1);
  });
}
