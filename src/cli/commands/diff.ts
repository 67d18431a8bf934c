// `retort diff <run> <run>`: what changed between two runs, as `dvc params diff` and `dvc metrics
// diff` tell it: the overrides, the params of every node whose key differs, and metrics side by side.
import type { RunRecord } from '../../store/runs.js';
import { parse } from '../args.js';
import { EXIT, type CliCommand, type CliIO } from '../command.js';
import { changed, diffRuns, loadSides, type MetricRow, type RunDiff } from '../run-diff.js';
import { findRun } from '../run-lookup.js';
import { openStore, runsDirOf } from '../session.js';
import { formatTime, textTable } from '../text-table.js';
import { overridesText } from './runs.js';
import { formatNumber } from './show.js';

export const command: CliCommand = {
  name: 'diff',
  summary: 'compare two runs: overrides, changed params node by node, metrics with deltas',
  help: `Usage: retort diff <run> <run> [--all] [--json] [--runs-dir DIR]

Compares run A (the first) with run B (the second). A run is a run id, a unique prefix
of one, \`last\` or \`last~N\` (the run N before the last); \`retort runs\` lists them.
Shows the -S overrides of both, the params of every node whose key differs (read from
the store's entries; other key changes, e.g. an upstream input, are named), nodes only
one run has, and each node's final metric values with B − A.

Options:
  --all            every metric, also those that did not change
  --json           the comparison as JSON
  --runs-dir DIR   where the store and run records live (default: ./runs)`,
  run: async (args: string[], io: CliIO) => {
    const { values, positionals } = parse(args, {
      'runs-dir': { type: 'string' }, help: { type: 'boolean', short: 'h' }, all: { type: 'boolean' }, json: { type: 'boolean' },
    }, { min: 2, max: 2, names: 'two runs: retort diff <run> <run>' });
    if (values.help) { io.stdout.write(command.help + '\n'); return EXIT.ok; }
    const runsDir = runsDirOf(values['runs-dir'], io);
    const a = await findRun(runsDir, positionals[0]);
    const b = await findRun(runsDir, positionals[1]);
    const store = await openStore(runsDir);
    const diff = diffRuns(await loadSides(store, a), await loadSides(store, b));
    if (values.json) {
      const metrics = values.all ? diff.metrics : diff.metrics.filter(changed);
      io.stdout.write(JSON.stringify({ a: runHead(a), b: runHead(b), ...diff, metrics }, null, 2) + '\n');
      return EXIT.ok;
    }
    io.stdout.write(render(a, b, diff, values.all ?? false).join('\n') + '\n');
    return EXIT.ok;
  },
};

function runHead(r: RunRecord) {
  return { runId: r.runId, recipe: r.recipe, recipeName: r.recipeName, status: r.status, startedAt: r.startedAt, overrides: r.overrides ?? [] };
}

function render(a: RunRecord, b: RunRecord, diff: RunDiff, all: boolean): string[] {
  const lines: string[] = [];
  lines.push(`A  ${a.runId}  ${a.status}  ${a.recipeName}  ${formatTime(a.startedAt)}`);
  lines.push(`B  ${b.runId}  ${b.status}  ${b.recipeName}  ${formatTime(b.startedAt)}`);
  const oa = overridesText(a);
  const ob = overridesText(b);
  lines.push('', 'overrides');
  if (oa === ob) lines.push(`  the same${oa ? `: ${oa}` : ' (none)'}`);
  else lines.push(`  A  ${oa || '(none)'}`, `  B  ${ob || '(none)'}`);

  lines.push('', 'params');
  if (diff.params.length === 0) lines.push('  no param changed');
  else lines.push(...indent(textTable(['NODE', 'PARAM', 'A', 'B'], diff.params.map((p) => [p.node, p.param, paramText(p.a), paramText(p.b)]))));
  for (const o of diff.other) lines.push(`  ${o.node}: ${o.paths.join(', ')} changed${o.upstream.length ? ` (upstream ${o.upstream.join(', ')})` : ''}`);
  for (const u of diff.unknown) lines.push(`  ${u.node}: key changed; not compared, no stored entry for ${u.missing.map((s) => s.toUpperCase()).join(' and ')}`);
  if (diff.onlyA.length) lines.push(`  only in A: ${diff.onlyA.join(', ')}`);
  if (diff.onlyB.length) lines.push(`  only in B: ${diff.onlyB.join(', ')}`);

  const shown = all ? diff.metrics : diff.metrics.filter(changed);
  lines.push('', 'metrics');
  if (shown.length === 0) lines.push(diff.metrics.length ? `  no metric changed (${diff.metrics.length} compared; --all shows them)` : '  no metrics recorded by nodes of both runs');
  else lines.push(...indent(textTable(['NODE', 'METRIC', 'A', 'B', 'CHANGE'], shown.map(metricCells), { right: [2, 3, 4] })));
  return lines;
}

function metricCells(m: MetricRow): string[] {
  const value = (v: number | undefined) => (v === undefined ? '-' : formatNumber(v));
  return [m.node, m.metric, value(m.a), value(m.b), changeText(m)];
}

/** B − A, signed, with the relative change when A is not zero: +10 (+90.9%). */
function changeText(m: MetricRow): string {
  if (m.delta === undefined) return '-';
  if (m.delta === 0 || Number.isNaN(m.delta)) return Number.isNaN(m.delta) ? 'NaN' : '0';
  const sign = m.delta > 0 ? '+' : '';
  const relative = m.a !== undefined && m.a !== 0 && Number.isFinite(m.delta) ? ` (${sign}${formatNumber(Number(((m.delta / Math.abs(m.a)) * 100).toFixed(1)))}%)` : '';
  return `${sign}${formatNumber(m.delta)}${relative}`;
}

function paramText(v: unknown): string {
  if (v === undefined) return '(absent)';
  const text = typeof v === 'string' ? v : JSON.stringify(v);
  return text.length > 60 ? text.slice(0, 57) + '…' : text;
}

const indent = (lines: string[]) => lines.map((l) => `  ${l}`);
