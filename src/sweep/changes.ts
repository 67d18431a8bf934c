// What a plan or run says of a sweep against its last run, and keeping this sweep as the last one.
// Apart from sweep/prepare.ts, which compiles: a plan that reuses its compiled recipe loads no compiler.
import type { PreparedMaybeSweep } from './prepare.js';
import { changeReport, readLastSweep, saveSweep } from './state.js';

/** What changed since the last run of this recipe's sweep (nothing for a plain recipe, a first run or the same sweep). */
export function sweepChanges(prepared: PreparedMaybeSweep): string[] {
  const { recipe, spec } = prepared;
  if (!recipe.sweep || !spec) return [];
  return changeReport(readLastSweep(prepared.runsDir, recipe.file), recipe.sweep, spec);
}

/** Keeps this sweep's spec as the last one of the recipe (a run does this before its first node starts). */
export function recordSweep(prepared: PreparedMaybeSweep): void {
  if (prepared.recipe.sweep && prepared.spec) saveSweep(prepared.runsDir, prepared.recipe.file, prepared.recipe.sweep, prepared.spec);
}
