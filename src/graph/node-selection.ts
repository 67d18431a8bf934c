// Names a user gives on the command line (--target, --force, `retort explain STAGE`) checked against a
// compiled recipe: a stage name selects its nodes, a node id itself. This is where such text becomes node ids.
import { didYouMean } from '../util/suggest.js';
import type { NodeId } from '../util/ids.js';
import type { CompiledRecipe } from './types.js';

/** A name that is neither a stage nor a node of the recipe, with where it was given and the nearest known name. */
export interface UnknownName {
  /** Where the name came from: a flag such as `--target`, or a positional such as `STAGE`. */
  where: string;
  name: string;
  /** `did you mean '…'?` when a stage or node id is close to the name. */
  hint?: string;
  stages: string[];
}

export type NodeSelection = { ok: true; nodes: NodeId[] } | { ok: false; error: UnknownName };

/** The node ids the names select (a stage's nodes in declaration order, then a named node), or the first unknown name. */
export function selectNodes(recipe: CompiledRecipe, names: readonly string[], where: string): NodeSelection {
  const nodes = new Set<NodeId>();
  for (const name of names) {
    const ofStage = recipe.stages.get(name);
    const isNode = isNodeOf(recipe, name);
    if (!ofStage && !isNode) return { ok: false, error: unknownName(recipe, name, where) };
    for (const id of ofStage ?? []) nodes.add(id);
    if (isNode) nodes.add(name);
  }
  return { ok: true, nodes: [...nodes] };
}

/** Whether the text is the id of one of the recipe's nodes (then it is that node's id). */
export function isNodeOf(recipe: CompiledRecipe, text: string): text is NodeId {
  const nodes: ReadonlyMap<string, unknown> = recipe.nodes;
  return nodes.has(text);
}

function unknownName(recipe: CompiledRecipe, name: string, where: string): UnknownName {
  const stages = [...recipe.stages.keys()];
  const hint = didYouMean(name, [...stages, ...recipe.nodes.keys()]);
  return { where, name, ...(hint ? { hint } : {}), stages };
}
