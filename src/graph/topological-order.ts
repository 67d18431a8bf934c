// Orders nodes so that each comes after the nodes it consumes; a cycle is reported where it starts.
import type { Problems } from './problems.js';
import type { NodeSpec } from './types.js';
import type { NodeId } from '../util/ids.js';

export function topologicalOrder(nodes: Map<NodeId, NodeSpec>, problems: Problems): NodeId[] {
  const order: NodeId[] = [];
  const state = new Map<NodeId, 1 | 2>();
  const stack: NodeId[] = [];
  const visit = (id: NodeId): boolean => {
    const s = state.get(id);
    if (s === 2) return true;
    if (s === 1) {
      const cycle = [...stack.slice(stack.indexOf(id)), id];
      const stagesInCycle = cycle.map((n) => nodes.get(n)!.stage);
      const first = nodes.get(id)!; // the cycle starts and ends at id
      const port = Object.entries(first.inputs).find(([, v]) => [v].flat().some((r) => r.kind === 'node' && r.node === cycle[1]))?.[0];
      problems.at(['stages', first.stage, 'inputs', ...(port ? [port] : [])], `dependency cycle: ${stagesInCycle.join(' → ')} (each stage consumes the outputs of the next)`, {
        hint: 'expected stages to form a DAG: a stage cannot consume its own outputs, directly or through other stages (for iterations use `repeat` with ${prev.outputs.<port>})',
      });
      return false;
    }
    state.set(id, 1);
    stack.push(id);
    for (const up of nodes.get(id)!.upstream) if (!visit(up)) return false;
    stack.pop();
    state.set(id, 2);
    order.push(id);
    return true;
  };
  for (const id of nodes.keys()) if (!visit(id)) break;
  return order;
}
