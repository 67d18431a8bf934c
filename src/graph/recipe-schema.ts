// The recipe format's JSON Schema, read once from schemas/recipe.schema.json.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../plugin/registry.js';

let schema: object | undefined;
export function recipeSchema(): object {
  schema ??= JSON.parse(readFileSync(join(PACKAGE_ROOT, 'schemas', 'recipe.schema.json'), 'utf8')) as object;
  return schema;
}

/** The schema of one stage (for typing -S overrides of stage keys). */
export function stageSchema(): Record<string, unknown> {
  return (recipeSchema() as { $defs: { stage: Record<string, unknown> } }).$defs.stage;
}

/** A sweep axis as the recipe writes it (see $defs/sweepAxis). */
export type SweepAxisDoc = unknown[] | string | { range: number[] } | { choice: unknown[] };

/** A random-search distribution as the recipe writes it (see $defs/sweepDistribution). */
export type SweepDistributionDoc = string | { uniform: [
  number,
  number,
] } | { loguniform: [number, number] } | { int: [number, number] } | { choice: unknown[] };

/** The `sweep:` block (see $defs/sweep); keys of grid, set and space are override paths. */
export interface SweepDoc {
  grid?: Record<string, SweepAxisDoc>;
  variants?: { name: string; description?: string; set: Record<string, unknown> }[];
  random?: { budget: number; seed?: number; space: Record<string, SweepDistributionDoc> };
  search?: SweepSearchDoc;
}

/** Adaptive search (see $defs/sweepSearch). */
export interface SweepSearchDoc {
  sampler?: 'tpe' | 'random';
  objective: { metric: string; direction: 'maximize' | 'minimize' };
  budget: number;
  seed?: number;
  parallel?: number;
  space: Record<string, SweepDistributionDoc>;
  prune?: { rule: 'median'; startupTrials?: number; warmupSteps?: number };
}
