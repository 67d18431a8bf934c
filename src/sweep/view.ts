// How a sweep's plan reads: trials × stages with hit or run, and how much the trials share.
import type { Plan, PlannedNode } from '../graph/plan.js';
import { count } from '../util/plural.js';

type Cell = 'hit' | 'run' | 'skip';

function cellOf(n: PlannedNode): Cell {
  return n.status === 'hit' ? 'hit' : n.run ? 'run' : 'skip';
}

/** Per trial: the state of each stage's nodes in it, and whether the trial has nothing left to run. */
export function trialStates(plan: Plan): { trial: string; cells: Map<string, Cell[]>; done: boolean }[] {
  const sweep = plan.recipe.sweep!;
  const byTrial = new Map(sweep.trials.map((t) => [t.id, new Map<string, Cell[]>()]));
  for (const id of plan.order) {
    const n = plan.nodes.get(id)!;
    for (const t of n.spec.trials ?? []) {
      const cells = byTrial.get(t)!;
      if (!cells.has(n.spec.stage)) cells.set(n.spec.stage, []);
      cells.get(n.spec.stage)!.push(cellOf(n));
    }
  }
  return sweep.trials.map((t) => {
    const cells = byTrial.get(t.id)!;
    return { trial: t.id, cells, done: [...cells.values()].every((l) => l.every((c) => c !== 'run')) };
  });
}

function cellText(cells: Cell[] | undefined): string {
  if (!cells?.length) return '–';
  const kinds = [...new Set(cells)];
  const [only] = kinds;
  if (kinds.length === 1 && only) return cells.length === 1 ? only : `${cells.length} ${only}`;
  return (['hit', 'run', 'skip'] as Cell[]).map((k) => [k, cells.filter((c) => c === k).length] as const).filter(([, n]) => n).map(([k, n]) => `${n} ${k}`).join(' ');
}

/** The trials × stages table: one line per trial, a column per stage. */
export function trialMatrix(plan: Plan): string[] {
  const stages = [...plan.recipe.stages.keys()];
  const rows = trialStates(plan).map((t) => [t.trial, ...stages.map((s) => cellText(t.cells.get(s)))]);
  const head = ['trial', ...stages];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length))); // every row has a cell per header cell
  const line = (r: string[]) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  return [line(head), ...rows.map(line)];
}

export interface SweepCounts { trials: number; nodes: number; shared: number; sharedByAll: number; perTrialRuns: number; toRun: number; trialsDone: number }

export function sweepCounts(plan: Plan): SweepCounts {
  const sweep = plan.recipe.sweep!;
  const nodes = plan.order.map((id) => plan.nodes.get(id)!);
  const sizes = nodes.map((n) => n.spec.trials?.length ?? 0);
  return {
    trials: sweep.trials.length,
    nodes: nodes.length,
    shared: sizes.filter((s) => s > 1).length,
    sharedByAll: sizes.filter((s) => s === sweep.trials.length).length,
    perTrialRuns: sizes.reduce((a, b) => a + b, 0),
    toRun: nodes.filter((n) => n.run).length,
    trialsDone: trialStates(plan).filter((t) => t.done).length,
  };
}

/** The sweep's headline: its id, its trials, the nodes of the merged DAG and how many are shared. */
export function sweepSummary(plan: Plan): string[] {
  const c = sweepCounts(plan);
  const sweep = plan.recipe.sweep!;
  const shared = plan.order.filter((id) => plan.nodes.get(id)!.spec.trials?.length === c.trials);
  const named = shared.length <= 12 ? shared.join(', ') : `${shared.slice(0, 12).join(', ')}, … (${shared.length - 12} more)`;
  return [
    `sweep ${sweep.id}: ${count(c.trials, 'trial')}, ${count(c.nodes, 'node')} in one DAG where one run per trial would have ${c.perTrialRuns}`,
    `  shared: ${count(c.shared, 'node')} by several trials, ${c.sharedByAll} by every trial${shared.length ? ` (${named})` : ''}`,
    `  to run: ${count(c.toRun, 'node')}; ${c.trialsDone} of ${count(c.trials, 'trial')} complete already`,
  ];
}
