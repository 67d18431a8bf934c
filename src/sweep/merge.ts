// Trials → one DAG: nodes with equal keys are one node. A node every trial shares (or that only one
// key ever takes) keeps its id; the others get the values that set them apart: `retriever#0[alpha=0.1,seed=2]`.
import type { NodeKey } from '../graph/key.js';
import type { CompiledRecipe, InputRef, NodeInput, NodeSpec, SweepInfo } from '../graph/types.js';
import { canonicalJson } from '../util/canonical.js';
import { nodeId, type NodeId } from '../util/ids.js';
import type { Diagnostic } from '../recipe/diagnostic.js';
import type { TrialDraft } from './expand.js';
import { trialContexts, type TrialContext } from './trial-context.js';
import { shortValue } from './values.js';

export interface CompiledTrial { draft: TrialDraft; recipe: CompiledRecipe; keys: Map<NodeId, NodeKey> }

export interface MergedSweep {
  recipe: CompiledRecipe;
  keys: Map<NodeId, NodeKey>;
  /** Each trial's own vars and track tags, by trial id. */
  contexts: Map<string, TrialContext>;
  /** Tables, track or executor that differ between trials (they belong to the whole sweep). */
  errors: Diagnostic[];
}

interface Group { key: string; trials: number[] }

export function mergeTrials(trials: CompiledTrial[], sweepId: string): MergedSweep {
  // Node id in a trial → its groups by key, in trial order.
  const groups = new Map<NodeId, Group[]>();
  const groupOf = new Map<string, Group>(); // `${id}\0${key}` → group
  trials.forEach((t, ti) => {
    for (const id of t.recipe.order) {
      const key = t.keys.get(id)!.key;
      const gid = `${id}\u0000${key}`;
      let g = groupOf.get(gid);
      if (!g) {
        g = { key, trials: [] };
        groupOf.set(gid, g);
        let list = groups.get(id);
        if (!list) groups.set(id, (list = []));
        list.push(g);
      }
      g.trials.push(ti);
    }
  });

  // Each trial's label values in canonical form, and which label positions vary across the sweep.
  const canon = trials.map((t) => t.draft.label.map(([, v]) => canonicalJson(v)));
  const [firstCanon = []] = canon;
  const varies = (trials[0]?.draft.label ?? []).map((_, i) => canon.some((c) => c[i] !== firstCanon[i]));
  const mergedId = new Map<Group, NodeId>();
  for (const [id, list] of groups) {
    const [only] = list;
    if (list.length === 1 && only) { mergedId.set(only, id); continue; }
    const used = new Map<string, number>();
    for (const g of list) {
      let label = `${id}[${groupLabel(g, trials, canon, varies)}]`;
      const n = used.get(label) ?? 0;
      used.set(label, n + 1);
      if (n > 0) label = `${label.slice(0, -1)}~${n + 1}]`;
      mergedId.set(g, nodeId(label));
    }
  }
  const idIn = (ti: number, id: NodeId) => mergedId.get(groupOf.get(`${id}\u0000${trials[ti]!.keys.get(id)!.key}`)!)!;

  const nodes = new Map<NodeId, NodeSpec>();
  const keys = new Map<NodeId, NodeKey>();
  const order: NodeId[] = [];
  const stages = new Map<string, NodeId[]>();
  trials.forEach((t, ti) => {
    // Each trial's order is topological, and a node's upstream is the same in every trial that has it (keys chain): so is this one.
    for (const id of t.recipe.order) {
      const merged = idIn(ti, id);
      const existing = nodes.get(merged);
      if (existing) { existing.trials!.push(t.draft.id); continue; }
      const spec = t.recipe.nodes.get(id)!;
      const remap = (r: InputRef): InputRef => (r.kind === 'node' ? { ...r, node: idIn(ti, r.node) } : r);
      const inputs: Record<string, NodeInput> = {};
      for (const [port, value] of Object.entries(spec.inputs)) inputs[port] = Array.isArray(value) ? value.map(remap) : remap(value);
      nodes.set(merged, { ...spec, id: merged, inputs, upstream: spec.upstream.map((u) => idIn(ti, u)), trials: [t.draft.id] });
      keys.set(merged, t.keys.get(id)!);
      order.push(merged);
      if (!stages.has(spec.stage)) stages.set(spec.stage, []);
      stages.get(spec.stage)!.push(merged);
    }
  });

  const first = trials[0]?.recipe;
  if (!first) throw new Error('internal: a sweep without trials');
  // Stages in declaration order, as a recipe lists them.
  const stageOrder = new Map([...first.stages.keys(), ...stages.keys()].map((s) => [s, stages.get(s) ?? []]));
  const sweep: SweepInfo = { id: sweepId, trials: trials.map((t) => ({ id: t.draft.id, assignments: t.draft.assignments })) };
  // The sweep's vars and tags are those all trials agree on; each trial keeps its own in `contexts`.
  const shared = trialContexts(trials);
  return {
    recipe: { ...first, vars: shared.vars, track: shared.track, nodes, order, stages: stageOrder, sweep },
    keys,
    contexts: shared.contexts,
    errors: shared.errors,
  };
}

/**
 * What sets a group's trials apart: the axes whose value is the same in all of them (and not the same
 * in every trial of the sweep). A node that depends on the seed alone is `split[seed=2]`.
 */
function groupLabel(g: Group, trials: CompiledTrial[], canon: string[][], varies: boolean[]): string {
  // A group is made for a trial, and `canon` has one row per trial.
  const head = g.trials[0]!;
  const headTrial = trials[head]!;
  const headCanon = canon[head]!;
  const parts: string[] = [];
  headTrial.draft.label.forEach(([name, value], i) => {
    if (!varies[i] || !g.trials.every((ti) => canon[ti]![i] === headCanon[i])) return;
    parts.push(name === 'variant' ? String(value) : `${name}=${shortValue(value)}`);
  });
  return parts.join(',') || headTrial.draft.id;
}
