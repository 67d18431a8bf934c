// Cache-aware planning: every key is resolved and looked up before anything is scheduled.
// A hit needs none of its upstream nodes; a miss says why it missed.
import type { Manifest } from '../store/manifest.js';
import type { Store } from '../store/store.js';
import { diffKeyStructures, type KeyDifference, type KeyStructure, type NodeKey } from './key.js';
import type { CompiledRecipe, NodeSpec } from './types.js';
import type { Key, NodeId } from '../util/ids.js';

export type MissKind = 'new' | 'params' | 'upstream' | 'inputs' | 'plugin' | 'env' | 'runtime' | 'forced' | 'corrupt' | 'unknown';

export interface MissReason { kind: MissKind; differences: KeyDifference[]; detail: string }

export interface PlannedNode {
  spec: NodeSpec;
  key: Key;
  structure: KeyStructure;
  status: 'hit' | 'miss';
  /** Whether the node must run (a miss that a target needs). */
  run: boolean;
  /** Hits: the stored manifest. */
  manifest?: Manifest;
  reason?: MissReason;
}

export interface Plan {
  recipe: CompiledRecipe;
  nodes: Map<NodeId, PlannedNode>;
  order: NodeId[];
}

export interface PlanOptions {
  /** Nodes to recompute even when cached (what --force's stages and node ids select). */
  force?: readonly NodeId[];
  forceAll?: boolean;
  /** Only these nodes (and what they need) are targets; default: every node. */
  targets?: readonly NodeId[];
  /** Explain misses against the nearest stored entry (costs a store scan per missed stage). */
  explainMisses?: boolean;
  verify?: 'none' | 'stat' | 'full';
}

export async function planRecipe(recipe: CompiledRecipe, keys: Map<NodeId, NodeKey>, store: Store, opts: PlanOptions = {}): Promise<Plan> {
  const nodes = new Map<NodeId, PlannedNode>();
  const forced = new Set(opts.force ?? []);
  const isForced = (spec: NodeSpec) => opts.forceAll || forced.has(spec.id);
  // One batch lookup: keys shared by several nodes are looked up once; the recipe's entry index
  // saves reading a manifest per node.
  const lookups = await store.lookupMany(recipe.order.map((id) => keys.get(id)!.key), { verify: opts.verify ?? 'stat', index: recipe.name });
  const corrupt = new Map<string, string>();
  for (const id of recipe.order) {
    const spec = recipe.nodes.get(id)!;
    const { key, structure } = keys.get(id)!;
    const found = lookups.get(key)!;
    if (found.status === 'corrupt') corrupt.set(key, found.reason);
    const hit = found.status === 'hit' && !isForced(spec);
    nodes.set(id, { spec, key, structure, status: hit ? 'hit' : 'miss', run: false, manifest: found.status === 'hit' ? found.manifest : undefined });
  }

  // Walk from the targets down: a miss pulls in its upstream nodes, a hit does not.
  const targets = opts.targets?.length ? new Set(opts.targets) : undefined;
  const needed = new Set<NodeId>();
  const stack = recipe.order.filter((id) => !targets || targets.has(id));
  while (stack.length) {
    const id = stack.pop()!;
    if (needed.has(id)) continue;
    needed.add(id);
    const node = nodes.get(id)!;
    if (node.status === 'miss') for (const up of node.spec.upstream) stack.push(up);
  }
  for (const id of needed) {
    const node = nodes.get(id)!;
    node.run = node.status === 'miss';
  }

  // Reasons for misses.
  const byStage = new Map<string, StageEntries>();
  for (const id of recipe.order) {
    const node = nodes.get(id)!;
    if (node.status === 'hit') continue;
    if (isForced(node.spec)) { node.reason = { kind: 'forced', differences: [], detail: 'forced' }; continue; }
    if (corrupt.has(node.key)) { node.reason = { kind: 'corrupt', differences: [], detail: `stored entry is corrupt (${corrupt.get(node.key)}); recomputing` }; continue; }
    const upstreamMissed = node.spec.upstream.some((up) => nodes.get(up)!.status === 'miss');
    if (opts.explainMisses === false) {
      node.reason = upstreamMissed ? { kind: 'upstream', differences: [], detail: 'upstream changed' } : { kind: 'unknown', differences: [], detail: 'not in the store' };
      continue;
    }
    let entries = byStage.get(node.spec.stage);
    if (!entries) {
      entries = stageEntries(await store.manifests({ stage: node.spec.stage }));
      byStage.set(node.spec.stage, entries);
    }
    node.reason = explainMiss(node, entries.candidatesFor(node.spec.id), nodes);
  }
  return { recipe, nodes, order: recipe.order };
}

interface StageEntries { candidatesFor(nodeId: NodeId): Manifest[] }

/** How many entries of other nodes of the stage a miss is compared with when its own node has none. */
const STAGE_SAMPLE = 16;

/** A stage's stored entries by node id, so explaining N misses costs O(N), not O(N × entries). */
export function stageEntries(manifests: Manifest[]): StageEntries {
  const byNode = new Map<NodeId, Manifest[]>();
  for (const m of manifests) {
    const list = byNode.get(m.nodeId) ?? [];
    list.push(m);
    byNode.set(m.nodeId, list);
  }
  const sample = manifests.slice(0, STAGE_SAMPLE); // newest first
  return { candidatesFor: (nodeId) => byNode.get(nodeId) ?? sample };
}

/** The nearest stored entry: same node id first, then the same stage; fewest differing components. */
export function nearestEntry(
  nodeId: NodeId,
  structure: KeyStructure,
  candidates: Manifest[],
): { manifest: Manifest; differences: KeyDifference[] } | undefined {
  let best: { manifest: Manifest; differences: KeyDifference[]; score: number } | undefined;
  for (const manifest of candidates) {
    const differences = diffKeyStructures(manifest.keyStructure as KeyStructure, structure);
    const score = differences.length + (manifest.nodeId === nodeId ? 0 : 1000);
    if (!best || score < best.score) best = { manifest, differences, score };
  }
  return best && { manifest: best.manifest, differences: best.differences };
}

function explainMiss(node: PlannedNode, candidates: Manifest[], nodes: Map<NodeId, PlannedNode>): MissReason {
  const nearest = nearestEntry(node.spec.id, node.structure, candidates);
  // Only another instance of the stage is stored (a new foreach item or iteration): this one is new.
  if (!nearest || nearest.manifest.nodeId !== node.spec.id) return { kind: 'new', differences: [], detail: 'new: never computed' };
  const d = nearest.differences;
  const has = (c: KeyDifference['component']) => d.filter((x) => x.component === c);
  if (has('plugin').length) return { kind: 'plugin', differences: d, detail: `plugin changed (${has('plugin').map((x) => x.path.replace(/^plugin\./, '')).join(', ')})` };
  if (has('params').length) return { kind: 'params', differences: d, detail: `params changed: ${has('params').map((x) => `${x.path.replace(/^params\./, '')} ${short(x.before)} → ${short(x.after)}`).join(', ')}` };
  const inputs = has('inputs');
  if (inputs.length) {
    const ports = inputs.map((x) => x.path.replace(/^inputs\./, ''));
    const upstream = node.spec.upstream.some((up) => nodes.get(up)!.status === 'miss');
    return upstream
      ? { kind: 'upstream', differences: d, detail: `upstream changed (${ports.join(', ')})` }
      : { kind: 'inputs', differences: d, detail: `input changed (${ports.join(', ')})` };
  }
  if (has('env').length) return { kind: 'env', differences: d, detail: `environment changed (${has('env').map((x) => x.path.replace(/^env\./, '')).join(', ')})` };
  if (has('runtime').length || has('keyVersion').length) return { kind: 'runtime', differences: d, detail: `runtime changed (${[...has('runtime'), ...has('keyVersion')].map((x) => x.path).join(', ')})` };
  return { kind: 'unknown', differences: d, detail: 'not in the store (an equal entry was removed)' };
}

function short(v: unknown): string {
  const s = v === undefined ? '(unset)' : JSON.stringify(v);
  return s.length > 40 ? s.slice(0, 37) + '…' : s;
}
