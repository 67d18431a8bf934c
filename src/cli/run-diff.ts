// What differs between two runs, node by node: the params of nodes whose keys differ (from the key
// structures in their stored manifests), other key changes (upstream inputs, plugin, environment),
// nodes only one run has, and each node's final metric values side by side.
import { diffKeyStructures, type KeyStructure } from '../graph/key.js';
import type { Store } from '../store/store.js';
import type { NodeOutcome, RunRecord } from '../store/runs.js';

/** One node of a run, with what its stored entry says (absent when the entry is not stored). */
export interface NodeSide {
  id: string;
  stage: string;
  key: string;
  outcome: NodeOutcome;
  structure?: KeyStructure;
  /** Final value of each metric (the value at the last step); only for nodes the run used. */
  metrics?: Record<string, number>;
}

export interface ParamChange { node: string; param: string; a: unknown; b: unknown }
export interface OtherChange {
  node: string;
  /** Key paths that differ, e.g. inputs.in, plugin.version. */
  paths: string[];
  /** Upstream nodes (of run B) whose changed outputs feed the changed inputs. */
  upstream: string[];
}
export interface MetricRow { node: string; metric: string; a?: number; b?: number; delta?: number }

export interface RunDiff {
  params: ParamChange[];
  /** Nodes whose keys differ for reasons besides their params (an upstream change, a plugin edit…). */
  other: OtherChange[];
  onlyA: string[];
  onlyB: string[];
  /** Nodes whose keys differ but whose params cannot be compared: an entry is not stored (failed, gc'd). */
  unknown: { node: string; missing: ('a' | 'b')[] }[];
  /** Every metric of nodes in both runs, changed or not (see `changed`). */
  metrics: MetricRow[];
}

export async function loadSides(store: Store, record: RunRecord): Promise<NodeSide[]> {
  return Promise.all(record.nodes.map(async (n) => {
    const manifest = await store.readManifest(n.key).catch(() => undefined);
    const used = n.outcome === 'hit' || n.outcome === 'ran';
    return {
      id: n.id, stage: n.stage, key: n.key, outcome: n.outcome,
      structure: manifest?.keyStructure as KeyStructure | undefined,
      metrics: manifest && used ? finalValues(manifest.metrics) : undefined,
    };
  }));
}

/** Each metric's value at its last step (a later point wins a tie: it was logged last). */
export function finalValues(points: readonly { name: string; value: number; step: number }[]): Record<string, number> {
  const last = new Map<string, { value: number; step: number }>();
  for (const p of points) {
    const seen = last.get(p.name);
    if (!seen || p.step >= seen.step) last.set(p.name, { value: p.value, step: p.step });
  }
  return Object.fromEntries([...last].map(([name, p]) => [name, p.value]));
}

export function diffRuns(a: readonly NodeSide[], b: readonly NodeSide[]): RunDiff {
  const inB = new Map(b.map((n) => [n.id, n]));
  const idOfKeyInB = new Map(b.map((n) => [n.key, n.id]));
  const inA = new Map(a.map((n) => [n.id, n]));
  const out: RunDiff = { params: [], other: [], onlyA: [], onlyB: [], unknown: [], metrics: [] };
  for (const left of a) {
    const right = inB.get(left.id);
    if (!right) { out.onlyA.push(left.id); continue; }
    if (left.key !== right.key) {
      if (!left.structure || !right.structure) {
        out.unknown.push({ node: left.id, missing: [...(left.structure ? [] : ['a' as const]), ...(right.structure ? [] : ['b' as const])] });
      } else {
        const differences = diffKeyStructures(left.structure, right.structure);
        for (const d of differences.filter((d) => d.component === 'params')) {
          out.params.push({ node: left.id, param: d.path.replace(/^params\./, ''), a: d.before, b: d.after });
        }
        const rest = differences.filter((d) => d.component !== 'params');
        const upstream = rest.filter((d) => d.component === 'inputs').flatMap((d) => upstreamKeys(d.after)).map((k) => idOfKeyInB.get(k)).filter((id): id is string => id !== undefined);
        if (rest.length) out.other.push({ node: left.id, paths: rest.map((d) => d.path), upstream: [...new Set(upstream)] });
      }
    }
    out.metrics.push(...metricRows(left, right));
  }
  for (const right of b) if (!inA.has(right.id)) out.onlyB.push(right.id);
  return out;
}

/** Node keys an input refers to (one upstream output, or a list of inputs). */
function upstreamKeys(input: unknown): string[] {
  const items: unknown[] = Array.isArray(input) ? input : [input];
  return items.flatMap((i) => (typeof i === 'object' && i !== null && typeof (i as { node?: unknown }).node === 'string' ? [(i as { node: string }).node] : []));
}

function metricRows(left: NodeSide, right: NodeSide): MetricRow[] {
  const names = [...new Set([...Object.keys(left.metrics ?? {}), ...Object.keys(right.metrics ?? {})])].sort();
  return names.map((metric) => {
    const a = left.metrics?.[metric];
    const b = right.metrics?.[metric];
    return { node: left.id, metric, a, b, ...(a !== undefined && b !== undefined ? { delta: b - a } : {}) };
  });
}

/** A metric row whose value differs, or that only one run has. */
export function changed(row: MetricRow): boolean {
  return row.a === undefined || row.b === undefined || !Object.is(row.a, row.b);
}
