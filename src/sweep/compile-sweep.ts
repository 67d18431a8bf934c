// Compiles a sweep: its spec, its trials (each the recipe with the trial's overrides, compiled with
// the plugins and schemas loaded once), their keys, and the one DAG they merge into.
import { ContentHasher } from '../graph/content-hash.js';
import { compileRecipe } from '../graph/compile.js';
import { computeKeys, type NodeKey } from '../graph/key.js';
import { recipeSchema } from '../graph/recipe-schema.js';
import type { CompiledRecipe } from '../graph/types.js';
import { RecipeError, type Diagnostic } from '../recipe/diagnostic.js';
import { loadRecipe, type LoadedRecipe } from '../recipe/load.js';
import { parseOverrides } from '../recipe/overrides.js';
import { validateWithSchema } from '../recipe/validate.js';
import { canonicalJson, sha256Hex } from '../util/canonical.js';
import { count } from '../util/plural.js';
import { copyOf, memoHasher } from './trial-document.js';
import { prepareSearch, type AdaptiveSweep } from './adaptive/prepare-search.js';
import { asksForSearch, checkedSweepBlock } from './sweep-block.js';
import { expandTrials, MAX_TRIALS, trialCount, type TrialDraft } from './expand.js';
import { mergeTrials, type CompiledTrial } from './merge.js';
import type { TrialContext } from './trial-context.js';
import { commandLineAxes, recipeAxes, summarize, type GridAxis, type SpecSummary, type SweepSpec } from './spec.js';
import type { NodeId } from '../util/ids.js';

export interface SweepOptions {
  /** The -S arguments. */
  overrides: string[];
  /** `-m`/`--sweep`: comma lists of -S are axes. */
  multirun: boolean;
  env?: NodeJS.ProcessEnv;
  hasher: ContentHasher;
}

export interface CompiledSweep {
  recipe: CompiledRecipe;
  keys: Map<NodeId, NodeKey>;
  spec: SpecSummary;
  /** Each trial's own vars and track tags, by trial id (the merged recipe has those all trials share). */
  contexts: Map<string, TrialContext>;
  /** How many nodes the trials have in all (what one run per trial would execute on an empty store). */
  trialNodes: number;
}

/** The compiled sweep, or undefined when the recipe is no sweep (no `sweep:` block, no -m); an adaptive search is a RecipeError here. */
export async function compileSweep(file: string, opts: SweepOptions): Promise<CompiledSweep | undefined> {
  const sweep = await compileSweepOrSearch(file, opts);
  if (sweep && 'kind' in sweep) {
    throw new RecipeError({ message: 'an adaptive search (sweep.search) has no DAG of all its trials: they are proposed as results arrive', location: sweep.spec.location, keyPath: 'sweep.search' });
  }
  return sweep;
}

/**
 * The compiled sweep, an adaptive search (compiled trial by trial as it runs), or undefined when the recipe is no sweep.
 * `loaded` is the recipe already read, if the caller has it (it is not modified when the recipe is no sweep).
 */
export async function compileSweepOrSearch(
  file: string,
  opts: SweepOptions,
  loaded: LoadedRecipe = loadRecipe(file),
): Promise<CompiledSweep | AdaptiveSweep | undefined> {
  const raw = loaded.doc.sweep;
  if (raw === undefined && !opts.multirun) return undefined;
  if (asksForSearch(raw)) return prepareSearch(file, loaded, opts);
  const fallback = { file: loaded.file, line: 1, col: 1 };
  const cli = opts.multirun ? commandLineAxes(opts.overrides) : { fixed: opts.overrides, axes: [], errors: [] };
  const errors: Diagnostic[] = [...cli.errors];
  if (opts.multirun && !cli.axes.length && !cli.errors.length) {
    const shown = ['-m', ...opts.overrides.map((o) => `-S ${o}`)].join(' ');
    errors.push({
      message: '-m/--sweep makes the comma lists of -S values sweep axes, but no -S value is a comma list',
      location: { file: '<command line>', line: 1, col: 1, length: 2, text: shown },
      hint: raw !== undefined ? "expected e.g. -S vars.seed=1,2,3; the recipe's sweep: block runs without -m" : 'expected e.g. -m -S vars.seed=1,2,3 (range(0, 1, 0.25) and choice(a, b) are axes too)',
    });
  }
  let spec: SweepSpec = { grid: [], variants: [] };
  // Checked once for all trials; the sweep block's shape first, as later checks read it as typed.
  const schemaProblems = validateWithSchema(recipeSchema(), loaded.doc, { sources: loaded.sources, basePath: [], fallback });
  if (raw !== undefined) {
    const read = recipeAxes(checkedSweepBlock(raw, schemaProblems, errors), loaded.sources, fallback);
    errors.push(...read.errors);
    spec = read.spec;
  }
  spec = withCommandLine(spec, cli.axes, cli.fixed, errors);
  if (errors.length) throw new RecipeError(errors);
  const total = trialCount(spec);
  if (total > MAX_TRIALS) {
    const at = spec.grid[0]?.keyLocation ?? fallback;
    throw new RecipeError({ message: `this sweep has ${total} trials, more than ${MAX_TRIALS}`, location: at, hint: 'expected fewer values per axis, or random search with a budget' });
  }

  const drafts = expandTrials(spec);
  const trials = await compileTrials(file, loaded, schemaProblems.length === 0, drafts, cli.fixed, opts);
  const summary = summarize(spec);
  const { sweep: _block, ...recipeDoc } = loaded.doc;
  const id = sha256Hex(canonicalJson({ recipe: recipeDoc, overrides: cli.fixed, spec: summary })).slice(0, 16);
  const { errors: unsweepable, ...merged } = mergeTrials(trials, id);
  if (unsweepable.length) throw new RecipeError(unsweepable);
  return { ...merged, spec: summary, trialNodes: trials.reduce((n, t) => n + t.recipe.order.length, 0) };
}

/**
 * Command-line axes join the recipe's: one on a path the recipe sweeps replaces it, and a fixed
 * -S on a swept path fixes it (the command line wins, as over any recipe value).
 */
function withCommandLine(spec: SweepSpec, axes: GridAxis[], fixed: string[], errors: Diagnostic[]): SweepSpec {
  const fixedPaths = new Set(fixed.map((t) => t.slice(0, Math.max(0, t.indexOf('='))).trim()).map((p) => p.replace(/\s+/g, '')));
  const cliPaths = new Set(axes.map((a) => a.path));
  const grid = [...spec.grid.filter((a) => !cliPaths.has(a.path)), ...axes].filter((a) => !fixedPaths.has(a.path));
  const random = spec.random && { ...spec.random, axes: spec.random.axes.filter((a) => !fixedPaths.has(a.path) && !cliPaths.has(a.path)) };
  // A path is one axis: swept twice (grid and random, twice on the command line), its trials would be ambiguous.
  const seen = new Map<string, string>();
  const claim = (path: string, where: string, location: Diagnostic['location']) => {
    const before = seen.get(path);
    if (before) errors.push({ message: `'${path}' is swept twice (${before} and ${where})`, location, keyPath: path, hint: 'expected each override path in one axis' });
    else seen.set(path, where);
  };
  for (const a of grid) claim(a.path, a.from === 'recipe' ? 'sweep.grid' : 'the command line', a.keyLocation);
  for (const a of random?.axes ?? []) claim(a.path, 'sweep.random.space', a.keyLocation);
  for (const v of spec.variants) {
    for (const s of v.settings) {
      const by = seen.get(s.path);
      if (by) errors.push({ message: `variant '${v.name}' sets '${s.path}', which ${by} sweeps`, location: s.override.location, keyPath: s.path, hint: 'expected a path either in the variants or in an axis' });
    }
  }
  return { grid, variants: spec.variants, random: random && random.axes.length ? random : undefined };
}

async function compileTrials(
  file: string,
  loaded: LoadedRecipe,
  loadedIsValid: boolean,
  drafts: TrialDraft[],
  fixed: string[],
  opts: SweepOptions,
): Promise<CompiledTrial[]> {
  const hasher = memoHasher(opts.hasher);
  const out: CompiledTrial[] = [];
  // The same fault in many trials is said once, naming the first trial and how many share it.
  const faults = new Map<string, { d: Diagnostic; trials: string[] }>();
  const fixedPaths = parseOverrides(fixed).overrides.map((o) => o.path);
  for (const draft of drafts) {
    let recipe: CompiledRecipe;
    try {
      const overrides = draft.settings.map((s) => s.override);
      const copy = copyOf(loaded, [...fixedPaths, ...overrides.map((o) => o.path)]);
      recipe = await compileRecipe(file, { overrides: fixed, parsedOverrides: overrides, loaded: copy, loadedIsValid, env: opts.env });
    } catch (err) {
      if (!(err instanceof RecipeError)) throw err;
      for (const d of err.diagnostics) {
        const id = `${d.location.file}:${d.location.line}:${d.location.col}\u0000${d.keyPath ?? ''}\u0000${d.message}`;
        const seen = faults.get(id);
        if (seen) seen.trials.push(draft.id); else faults.set(id, { d, trials: [draft.id] });
      }
      continue;
    }
    out.push({ draft, recipe, keys: await computeKeys(recipe, hasher, opts.env) });
  }
  if (faults.size) {
    throw new RecipeError([...faults.values()].map(({ d, trials }) => ({
      ...d, notes: [...(d.notes ?? []), drafts.length > 1 ? `in ${trials.length === 1 ? `trial ${trials[0]}` : `${count(trials.length, 'trial')}, the first ${trials[0]}`}` : ''].filter(Boolean),
    })));
  }
  return out;
}
