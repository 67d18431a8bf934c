// The tables `retort table` prints for a recipe: its own, plus a sweep summary for a sweep that
// has none (ranked by `--objective` when given).
import type { Plan } from '../graph/plan.js';
import type { BestDirection, CompiledRecipe, TableSpec } from '../graph/types.js';
import { closest } from '../util/suggest.js';
import { finalMetrics } from './collect.js';

export interface Objective { metric: string; direction: BestDirection }

/** `accuracy`, `loss:min`, `accuracy:max`. */
export function parseObjective(text: string): Objective | { error: string } {
  const m = /^(.*?)(?::(max|min))?$/.exec(text.trim())!;
  if (!m[1]) return { error: `--objective expects METRIC, METRIC:max or METRIC:min, got '${text}'` };
  return { metric: m[1], direction: (m[2] as BestDirection | undefined) ?? 'max' };
}

/** Metrics the stored results of each stage record (hits only: what the table can show). */
function recordedByStage(recipe: CompiledRecipe, plan: Plan): Map<string, Set<string>> {
  const byStage = new Map<string, Set<string>>();
  for (const [stage, ids] of recipe.stages) {
    const names = new Set<string>();
    for (const id of ids) for (const name of finalMetrics(plan.nodes.get(id)?.manifest?.metrics ?? []).keys()) names.add(name);
    byStage.set(stage, names);
  }
  return byStage;
}

/**
 * The specs to print. A sweep without a `summary: trials` table gets one; `--objective` ranks every
 * summary by that metric, read from the last stage whose results record it.
 */
export function tableSpecsFor(recipe: CompiledRecipe, plan: Plan, objective?: Objective): TableSpec[] | { error: string } {
  const specs = [...recipe.tables];
  if (!recipe.sweep) return objective ? { error: '--objective ranks the trials of a sweep; this recipe is not one' } : specs;
  let ranked: Partial<TableSpec> = {};
  if (objective) {
    const byStage = recordedByStage(recipe, plan);
    const stage = [...byStage.keys()].reverse().find((s) => byStage.get(s)!.has(objective.metric));
    if (!stage) {
      const all = [...new Set([...byStage.values()].flatMap((s) => [...s]))].sort();
      const guess = closest(objective.metric, all);
      return { error: `--objective: no stored result records metric '${objective.metric}'${guess ? `; did you mean '${guess}'?` : ''} (recorded: ${all.join(', ') || 'none yet'})` };
    }
    ranked = { stage, metrics: [objective.metric], best: objective.direction };
  }
  const summaries = specs.filter((s) => s.summary === 'trials');
  if (!summaries.length) {
    specs.push({ title: `Sweep ${recipe.sweep.id.slice(0, 12)}: ${recipe.sweep.trials.length} trials`, stage: [...recipe.stages.keys()], metrics: [], ...ranked, summary: 'trials' });
    return specs;
  }
  return specs.map((s) => (s.summary === 'trials' && objective ? { ...s, ...ranked } : s));
}
