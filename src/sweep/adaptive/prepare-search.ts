// An adaptive search before it runs: its spec checked (objective stage and metric, search paths,
// what it cannot be combined with), and a compiler for one trial from an assignment. Every check
// that can be made without running a node is made here, so bad input stops before anything runs.
import { compileRecipe } from '../../graph/compile.js';
import { computeKeys, type NodeKey } from '../../graph/key.js';
import { recipeSchema } from '../../graph/recipe-schema.js';
import { checkedSweepBlock } from '../sweep-block.js';
import type { CompiledRecipe } from '../../graph/types.js';
import { RecipeError, type Diagnostic } from '../../recipe/diagnostic.js';
import type { LoadedRecipe, Plain } from '../../recipe/load.js';
import { parseOverrides, type Override } from '../../recipe/overrides.js';
import { validateWithSchema } from '../../recipe/validate.js';
import { canonicalJson, sha256Hex } from '../../util/canonical.js';
import { closest } from '../../util/suggest.js';
import type { SweepOptions } from '../compile-sweep.js';
import { copyOf, memoHasher } from '../trial-document.js';
import { shortNames } from '../expand.js';
import { readSearch, summarizeSearch, type SearchSpec, type SearchSummary } from '../search-spec.js';
import type { Assignment, SearchSpace } from '../search/index.js';
import { shortValue } from '../values.js';
import { makeSampler } from './sampler-of.js';
import type { NodeId } from '../../util/ids.js';

export interface CompiledTrialRecipe { recipe: CompiledRecipe; keys: Map<NodeId, NodeKey> }

export interface AdaptiveSweep {
  kind: 'adaptive';
  /** Hash of the recipe, the fixed overrides and the search but its budget: the same search resumes from its log. */
  id: string;
  file: string;
  spec: SearchSpec;
  summary: SearchSummary;
  /** Override path → dimension: what the samplers search. */
  space: SearchSpace;
  /** The recipe with the fixed overrides only (what plan shows of the nodes every trial shares). */
  base: CompiledTrialRecipe;
  /** `temperature=0.0123,alpha=0.2`: a trial's values by their short axis names. */
  label(assignment: Assignment): string;
  /** The recipe of one trial; a RecipeError when the assignment makes it invalid. */
  compileTrial(assignment: Assignment): Promise<CompiledTrialRecipe>;
}

/** Searched numbers keep 6 significant digits: readable trial ids, and nothing a search resolves below that. */
export function roundAssignment(space: SearchSpace, a: Assignment): Assignment {
  const out: Assignment = {};
  for (const [path, value] of Object.entries(a)) {
    const dim = space[path];
    out[path] = typeof value === 'number' && dim && (dim.kind === 'uniform' || dim.kind === 'loguniform') ? Number(value.toPrecision(6)) : value;
  }
  return out;
}

export async function prepareSearch(file: string, loaded: LoadedRecipe, opts: SweepOptions): Promise<AdaptiveSweep> {
  const fallback = { file: loaded.file, line: 1, col: 1 };
  const schemaProblems = validateWithSchema(recipeSchema(), loaded.doc, { sources: loaded.sources, basePath: [], fallback });
  const block = checkedSweepBlock(loaded.doc.sweep, schemaProblems);
  const read = readSearch(block.search!, loaded.sources, fallback);
  const errors: Diagnostic[] = [...read.errors];
  const others = (['grid', 'variants', 'random'] as const).filter((k) => block[k] !== undefined);
  const at = read.spec?.location ?? fallback;
  if (others.length) errors.push({ message: `sweep.search cannot be combined with sweep.${others.join(' and sweep.')}`, location: at, keyPath: 'sweep.search', hint: 'expected an adaptive search alone: put the values to search in sweep.search.space, or move the grid to a recipe of its own' });
  if (opts.multirun) errors.push({ message: '-m/--sweep adds grid axes, which an adaptive search (sweep.search) cannot be crossed with', location: { file: '<command line>', line: 1, col: 1, length: 2, text: '-m' }, hint: 'expected -S path=value without -m, or the values in sweep.search.space' });
  if (errors.length || !read.spec) throw new RecipeError(errors);
  const spec = read.spec;

  const fixed = opts.overrides;
  const fixedPaths = parseOverrides(fixed).overrides.map((o) => o.path);
  const hasher = memoHasher(opts.hasher);
  const loadedIsValid = schemaProblems.length === 0;
  const compile = async (overrides: Override[]): Promise<CompiledTrialRecipe> => {
    const copy = copyOf(loaded, [...fixedPaths, ...overrides.map((o) => o.path)]);
    const recipe = await compileRecipe(file, { overrides: fixed, parsedOverrides: overrides, loaded: copy, loadedIsValid, env: opts.env });
    return { recipe, keys: await computeKeys(recipe, hasher, opts.env) };
  };
  const space: SearchSpace = Object.fromEntries(spec.axes.map((a) => [a.path, a.dimension]));
  const names = shortNames(spec.axes.map((a) => a.path));
  const overridesOf = (assignment: Assignment): Override[] => spec.axes.map((axis) => {
    const value = assignment[axis.path] as Plain;
    const raw = typeof value === 'string' ? value : JSON.stringify(value);
    return { text: `${axis.path}=${raw}`, path: axis.parsedPath, raw, location: axis.keyLocation, valueLocation: axis.valueLocation, parsed: { value } };
  });

  const base = await compile([]);
  objectiveProblems(spec, base.recipe);
  // The first proposal is compiled now: a search path that is no recipe path fails here, at its key.
  const first = roundAssignment(space, makeSampler(spec, space).propose([], 1)[0]!); // one proposal asked for, one given
  await compile(overridesOf(first));

  const { sweep: _block, ...recipeDoc } = loaded.doc;
  const summary = summarizeSearch(spec);
  return {
    kind: 'adaptive',
    // The budget is left out: a larger budget goes on with the same search, a smaller one keeps its first trials.
    id: sha256Hex(canonicalJson({ recipe: recipeDoc, overrides: fixed, search: { ...summary, budget: undefined } as unknown as Plain })).slice(0, 16),
    file: loaded.file, spec, summary, space, base,
    label: (a) => spec.axes.map((axis) => `${names.get(axis.path)}=${shortValue(a[axis.path] as Plain)}`).join(','),
    compileTrial: (a) => compile(overridesOf(a)),
  };
}

/** The objective's stage must exist and have one node per trial; a metric its plugin does not declare is named. */
function objectiveProblems(spec: SearchSpec, recipe: CompiledRecipe): void {
  const { stage, metric, stageLocation, metricLocation } = spec.objective;
  const keyPath = 'sweep.search.objective.metric';
  const nodes = recipe.stages.get(stage);
  if (!nodes) {
    const guess = closest(stage, recipe.stages.keys());
    throw new RecipeError({
      message: `the objective names stage '${stage}', which the recipe does not have${guess ? `; did you mean '${guess}'?` : ''}`,
      location: stageLocation, keyPath, hint: `expected <stage>/<metric> with one of the stages: ${[...recipe.stages.keys()].join(', ')}`,
    });
  }
  if (nodes.length !== 1) {
    throw new RecipeError({ message: `the objective's stage '${stage}' has ${nodes.length} nodes in each trial (foreach or repeat); the objective needs one`, location: stageLocation, keyPath, hint: 'expected a stage with one node, e.g. one that averages the fanned-out results' });
  }
  // Metrics a plugin declares it records (PluginDefinition.metrics); undeclared ones are checked once the node ran.
  const declared = (id: NodeId) => recipe.nodes.get(id)!.plugin.def.metrics;
  const names = declared(nodes[0]!); // exactly one (checked above)
  if (!names || names.includes(metric)) return;
  const elsewhere = [...recipe.stages].filter(([s, ids]) => s !== stage && ids.some((id) => declared(id)?.includes(metric))).map(([s]) => s);
  const guess = closest(metric, names);
  throw new RecipeError({
    message: `stage '${stage}' does not record a metric '${metric}'${guess ? `; did you mean '${guess}'?` : ''}`,
    location: metricLocation, keyPath,
    hint: `${stage} records: ${names.join(', ') || 'no metrics'}${elsewhere.length ? `; '${metric}' is recorded by ${elsewhere.join(', ')}` : ''}`,
  });
}
