// How an adaptive search reads at its end (and in `retort plan`): its trials, best first, with their
// values, objective and state; pruned and failed trials last, with why.
import type { Plain } from '../../recipe/load.js';
import { count } from '../../util/plural.js';
import { shortNames } from '../expand.js';
import type { SearchSummary } from '../search-spec.js';
import { shortValue } from '../values.js';
import type { LoggedTrial } from './search-log.js';

/** Done trials by objective (best first, earlier first on ties), then the others in their order. */
export function ranked(trials: readonly LoggedTrial[], direction: 'maximize' | 'minimize'): LoggedTrial[] {
  const sign = direction === 'maximize' ? -1 : 1;
  const done = trials.filter((t) => t.state === 'done' && typeof t.objective === 'number');
  const rest = trials.filter((t) => !done.includes(t));
  return [...done.sort((a, b) => sign * (a.objective! - b.objective!) || a.number - b.number), ...rest];
}

export function stateCounts(trials: readonly Pick<LoggedTrial, 'state'>[]): string {
  const n = (s: string) => trials.filter((t) => t.state === s).length;
  const parts = [`${n('done')} done`, `${n('pruned')} pruned`, `${n('failed')} failed`];
  if (n('running')) parts.push(`${n('running')} unfinished`);
  return parts.join(', ');
}

/** The headline and the table of trials. */
export function searchReport(sweepId: string, search: SearchSummary, trials: readonly LoggedTrial[]): string[] {
  const { metric, direction } = search.objective;
  const order = ranked(trials, direction);
  const best = order[0]?.state === 'done' ? order[0] : undefined;
  const head = [
    `search ${sweepId}: ${search.sampler}, ${trials.length} of ${count(search.budget, 'trial')} (${stateCounts(trials)})`,
    best ? `  best ${metric} = ${fmt(best.objective!)} (${direction}) in trial ${best.number}: ${best.label}` : `  no trial has an objective yet`,
  ];
  const paths = Object.keys(search.space);
  const names = shortNames(paths);
  const header = ['rank', 'trial', ...paths.map((p) => names.get(p)!), metric, 'state'];
  const rows = order.map((t, i) => [
    t.state === 'done' ? String(i + 1) : '–', String(t.number),
    ...paths.map((p) => shortValue(t.assignment[p] as Plain)),
    t.state === 'done' ? fmt(t.objective!) : '–',
    t.state + (t.note ? `: ${t.note}` : ''),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length))); // every row has a cell per header cell
  const line = (r: string[]) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd();
  return [...head, '', line(header), ...rows.map(line)];
}

function fmt(x: number): string {
  return String(Number(x.toPrecision(6)));
}
