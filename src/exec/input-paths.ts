// Where a node reads its inputs: a path given in the recipe, or the output port of an upstream
// entry in the store (found through the key structure, which names the upstream key of each ref).
import type { PlannedNode } from '../graph/plan.js';
import type { InputRef } from '../graph/types.js';
import type { Store } from '../store/store.js';
import type { Key } from '../util/ids.js';

export function inputPaths(node: PlannedNode, store: Store): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [port, value] of Object.entries(node.spec.inputs)) {
    const keyInputs = node.structure.inputs[port];
    const keys = Array.isArray(keyInputs) ? keyInputs : [keyInputs];
    const pathOf = (ref: InputRef, i: number) => {
      if (ref.kind === 'path') return ref.path;
      const k = keys[i] as { node: Key; port: string };
      return store.portPath(k.node, ref.port);
    };
    out[port] = Array.isArray(value) ? value.map(pathOf) : pathOf(value, 0);
  }
  return out;
}
