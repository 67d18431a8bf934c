// What changed in a key, told in the recipe's words: an upstream input names the upstream node and
// what changed there (followed up the chain), a file input names its path; values are short.
import { diffKeyStructures, type KeyDifference, type KeyInput, type KeyStructure, type NodeKey } from '../graph/key.js';
import type { CompiledRecipe, InputRef } from '../graph/types.js';
import type { Store } from '../store/store.js';
import type { NodeId } from '../util/ids.js';

/** How many upstream steps an input change is followed. */
const MAX_DEPTH = 4;

export interface ExplainContext {
  recipe: CompiledRecipe;
  keys: Map<NodeId, NodeKey>;
  store: Store;
}

/** One line per difference (input changes may add indented lines for what changed upstream). */
export async function describeDifferences(ctx: ExplainContext, nodeId: NodeId, differences: KeyDifference[], depth = 0): Promise<string[]> {
  const lines: string[] = [];
  for (const d of differences) {
    if (d.component !== 'inputs') { lines.push(`${d.path}: ${short(d.before)} → ${short(d.after)}`); continue; }
    const port = d.path.replace(/^inputs\./, '');
    const refs = ctx.recipe.nodes.get(nodeId)?.inputs[port];
    const before = ([] as (KeyInput | undefined)[]).concat(d.before as KeyInput | KeyInput[] | undefined);
    const after = ([] as (KeyInput | undefined)[]).concat(d.after as KeyInput | KeyInput[] | undefined);
    const refList = ([] as (InputRef | undefined)[]).concat(refs);
    if (before.length !== after.length) lines.push(`input ${port}: ${before.length} → ${after.length} item${after.length === 1 ? '' : 's'}`);
    for (let i = 0; i < Math.max(before.length, after.length); i++) {
      if (JSON.stringify(before[i]) === JSON.stringify(after[i])) continue;
      lines.push(...await describeInput(ctx, port, refList[i], before[i], after[i], depth));
    }
  }
  return lines;
}

async function describeInput(ctx: ExplainContext, port: string, ref: InputRef | undefined,
  before: KeyInput | undefined, after: KeyInput | undefined, depth: number): Promise<string[]> {
  if (after && 'content' in after) {
    const where = ref?.kind === 'path' ? ref.path : 'a file or folder';
    return [`input ${port}: ${after.kind} ${where} changed (content ${hashText(before)} → ${after.content.slice(0, 12)})`];
  }
  if (!after) return [`input ${port}: removed`];
  const upstreamId = ref?.kind === 'node' ? ref.node : undefined;
  const upstream = upstreamId === undefined ? undefined : ctx.keys.get(upstreamId);
  const name = upstreamId === undefined ? after.node.slice(0, 12) : `${upstreamId}${upstreamId === ctx.recipe.nodes.get(upstreamId)?.stage ? '' : ` (stage ${ctx.recipe.nodes.get(upstreamId)!.stage})`}`;
  if (!before || !('node' in before)) return [`input ${port}: now from upstream ${name}`];
  const head = `input ${port}: upstream ${name} changed`;
  const old = await ctx.store.readManifest(before.node);
  if (!upstream || !upstreamId) return [head];
  if (!old) return [`${head} (its earlier entry ${before.node.slice(0, 12)} is no longer stored)`];
  if (depth >= MAX_DEPTH) return [`${head} (retort explain … ${upstreamId} says how)`];
  const inner = await describeDifferences(ctx, upstreamId, diffKeyStructures(old.keyStructure as KeyStructure, upstream.structure), depth + 1);
  return [`${head}:`, ...inner.map((l) => `  ${l}`)];
}

function hashText(input: KeyInput | undefined): string {
  return input && 'content' in input ? input.content.slice(0, 12) : '(none)';
}

export function short(v: unknown): string {
  if (v === undefined) return '(absent)';
  const s = JSON.stringify(v);
  return s.length > 60 ? s.slice(0, 57) + '…' : s;
}
