// What `retort run` and `retort plan` share for sweeps: compile the recipe as a sweep when it is one,
// else as a plain recipe. The report of what changed since the sweep last ran is sweep/changes.ts.
import { join, resolve } from 'node:path';
import { ContentHasher } from '../graph/content-hash.js';
import { compileRecipe } from '../graph/compile.js';
import { computeKeys, type NodeKey } from '../graph/key.js';
import { sweepTableProblems } from '../graph/report-checks.js';
import type { CompiledRecipe } from '../graph/types.js';
import { loadRecipe } from '../recipe/load.js';
import type { SpecSummary } from './spec.js';
import type { TrialContext } from './trial-context.js';
import type { AdaptiveSweep } from './adaptive/prepare-search.js';
import type { NodeId } from '../util/ids.js';

export interface PreparedMaybeSweep {
  recipe: CompiledRecipe;
  keys: Map<NodeId, NodeKey>;
  runsDir: string;
  hasher: ContentHasher;
  /** Set for a sweep: its spec as plain data. */
  spec?: SpecSummary;
  /** Set for a sweep: each trial's own vars and track tags. */
  contexts?: Map<string, TrialContext>;
  /** Set for an adaptive search: `recipe` and `keys` are then those of the recipe without the search's values. */
  adaptive?: AdaptiveSweep;
}

/** Compiles and keys a recipe or a sweep; nothing is written (a recipe error leaves the runs folder as it was). */
export async function prepareRecipeOrSweep(
  recipePath: string,
  overrides: string[],
  multirun: boolean,
  runsDir: string,
  io: { cwd: string; env: NodeJS.ProcessEnv },
): Promise<PreparedMaybeSweep> {
  const hasher = new ContentHasher(join(runsDir, 'hash-cache.json'));
  const file = resolve(io.cwd, recipePath);
  // Read once: a recipe without a sweep is compiled from the same load (parsing is most of a first compile),
  // and without loading the sweep compiler and the searches it can start (about 20 modules).
  const loaded = loadRecipe(file);
  const sweep = loaded.doc.sweep === undefined && !multirun ? undefined
    : await (await import('./compile-sweep.js')).compileSweepOrSearch(file, { overrides, multirun, env: io.env, hasher }, loaded);
  if (!sweep) {
    const recipe = await compileRecipe(file, { overrides, env: io.env, loaded });
    // Tables that label rows by sweep axes can only be checked against the trials.
    sweepTableProblems(recipe);
    return { recipe, keys: await computeKeys(recipe, hasher, io.env), runsDir, hasher };
  }
  if ('kind' in sweep) return { recipe: sweep.base.recipe, keys: sweep.base.keys, runsDir, hasher, adaptive: sweep };
  sweepTableProblems(sweep.recipe);
  return { recipe: sweep.recipe, keys: sweep.keys, runsDir, hasher, spec: sweep.spec, contexts: sweep.contexts };
}

