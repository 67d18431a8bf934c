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

// The document's shape, generated from the same schema (scripts/recipe-types.mjs).
export type { RecipeDoc, ReportDoc, StageDoc, SweepAxisDoc, SweepDistributionDoc, SweepDoc, SweepSearchDoc, TrackDoc } from './recipe-doc.generated.js';
