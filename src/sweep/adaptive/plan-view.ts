// What `retort plan` can say of an adaptive search before it runs: its settings and space, the nodes
// every trial shares (hit or miss), and the logged trials that would come back from the store.
import { planRecipe } from '../../graph/plan.js';
import type { Store } from '../../store/store.js';
import { count } from '../../util/plural.js';
import type { AdaptiveSweep } from './prepare-search.js';
import { readSearchLog, type LoggedTrial } from './search-log.js';
import { makeSampler } from './sampler-of.js';
import { roundAssignment } from './prepare-search.js';
import { stateCounts } from './summary.js';

export interface SearchPlan {
  search: AdaptiveSweep['summary'] & { id: string; parallel?: number };
  /** Nodes whose key no searched value changes: each runs once for all trials. */
  shared: { id: string; key: string; status: 'hit' | 'miss' }[];
  /** The logged trials and whether everything they need is cached. */
  logged: { number: number; label: string; state: LoggedTrial['state']; cached: boolean }[];
  /** Trials still to propose. */
  left: number;
}

export async function planSearch(sweep: AdaptiveSweep, store: Store, runsDir: string): Promise<SearchPlan> {
  const { base } = sweep;
  // A node with the same key with and without the searched values is shared by every trial.
  // One proposal asked for, one given.
  const probe = await sweep.compileTrial(roundAssignment(sweep.space, makeSampler(sweep.spec, sweep.space).propose([], 1)[0]!));
  const basePlan = await planRecipe(base.recipe, base.keys, store, { explainMisses: false, verify: 'stat' });
  const shared = base.recipe.order
    .filter((id) => probe.keys.get(id)?.key === base.keys.get(id)!.key)
    .map((id) => ({ id, key: base.keys.get(id)!.key, status: basePlan.nodes.get(id)!.status === 'hit' ? 'hit' as const : 'miss' as const }));

  const last = readSearchLog(runsDir, sweep.file);
  const trials = last?.sweep === sweep.id ? last.trials.slice(0, sweep.spec.budget) : [];
  const logged: SearchPlan['logged'] = [];
  for (const t of trials) {
    let cached = false;
    if (t.state === 'done') {
      const trial = await sweep.compileTrial(t.assignment);
      const plan = await planRecipe(trial.recipe, trial.keys, store, { explainMisses: false, verify: 'stat' });
      cached = plan.order.every((id) => !plan.nodes.get(id)!.run);
    }
    logged.push({ number: t.number, label: t.label, state: t.state, cached });
  }
  return { search: { ...sweep.summary, id: sweep.id, parallel: sweep.spec.parallel }, shared, logged, left: Math.max(0, sweep.spec.budget - trials.length) };
}

export function searchPlanLines(p: SearchPlan): string[] {
  const s = p.search;
  const space = Object.entries(s.space).map(([path, dim]) => `${path}: ${dimensionText(dim as Record<string, unknown>)}`);
  const out = [
    `search ${s.id}: ${s.sampler} towards ${s.objective.metric} (${s.objective.direction}), budget ${count(s.budget, 'trial')}, seed ${s.seed}, ${s.parallel ?? '--jobs'} in flight`,
    `  space: ${space.join('; ')}`,
  ];
  if (s.prune) {
    const prune = s.prune as { rule: string; startupTrials: number; warmupSteps: number };
    out.push(`  prune: ${prune.rule} rule after ${count(prune.startupTrials, 'completed trial')}, from step ${prune.warmupSteps}`);
  }
  const hits = p.shared.filter((n) => n.status === 'hit').length;
  out.push(`  shared by every trial: ${count(p.shared.length, 'node')} (${hits} cached)${p.shared.length ? `: ${p.shared.map((n) => `${n.id} ${n.status}`).join(', ')}` : ''}`);
  if (p.logged.length) {
    const counts = stateCounts(p.logged);
    const back = p.logged.filter((t) => t.cached).length;
    const again = p.logged.filter((t) => t.state !== 'pruned' && !t.cached).length;
    out.push(`  logged: ${count(p.logged.length, 'trial')} of this search (${counts}): ${back} come back from the store, ${again} run again`);
  } else {
    out.push('  logged: no trial of this search yet');
  }
  out.push(`  to propose: ${count(p.left, 'trial')}, one as each result arrives`);
  return out;
}

function dimensionText(dim: Record<string, unknown>): string {
  if (dim.kind === 'choice') return `choice(${(dim.values as unknown[]).map((v) => JSON.stringify(v)).join(', ')})`;
  return `${dim.kind}(${dim.lo}, ${dim.hi}${dim.log ? ', log' : ''})`;
}
