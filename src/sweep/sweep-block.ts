// The recipe's `sweep:` block as its generated type, given only once the schema has checked it.
import type { SweepDoc } from '../graph/recipe-schema.js';
import { RecipeError, type Diagnostic } from '../recipe/diagnostic.js';
import type { Plain } from '../recipe/load.js';

/** Whether the block (not yet checked) asks for an adaptive search. */
export function asksForSearch(block: Plain | undefined): boolean {
  return block !== null && typeof block === 'object' && !Array.isArray(block) && block.search !== undefined;
}

/**
 * The block, typed: `schemaProblems` are the recipe's (validateWithSchema of the whole document);
 * any under `sweep` is thrown, with `alsoReport` after it.
 */
export function checkedSweepBlock(block: Plain | undefined, schemaProblems: readonly Diagnostic[], alsoReport: readonly Diagnostic[] = []): SweepDoc {
  const shape = schemaProblems.filter((d) => /^sweep\b/.test(d.keyPath ?? ''));
  if (shape.length) throw new RecipeError([...shape, ...alsoReport]);
  // SweepDoc is generated from the schema that found nothing wrong under sweep: here.
  return block as SweepDoc;
}
