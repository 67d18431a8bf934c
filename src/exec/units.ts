// Units of work: the nodes of a run that share one key run once, as one unit. Its lead (the first
// of them in topological order) is the node that runs; the others finish the same way.
import type { PlannedNode } from '../graph/plan.js';
import type { Key } from '../util/ids.js';

export type Unit = readonly [lead: PlannedNode, ...same: PlannedNode[]];

export class Units {
  private readonly byKey = new Map<Key, [PlannedNode, ...PlannedNode[]]>();

  /** Adds a node to the unit of its key (nodes come in topological order, so the first is the lead). */
  add(node: PlannedNode): void {
    const unit = this.byKey.get(node.key);
    if (unit) unit.push(node);
    else this.byKey.set(node.key, [node]);
  }

  has(key: Key): boolean {
    return this.byKey.has(key);
  }

  /** Keys in the order their units were made: topological. */
  keys(): IterableIterator<Key> {
    return this.byKey.keys();
  }

  /** The unit of a key the run has; asking for any other key is a defect of the scheduler. */
  get(key: Key): Unit {
    const unit = this.byKey.get(key);
    if (!unit) throw new Error(`internal: no unit of work has key ${key}`);
    return unit;
  }

  lead(key: Key): PlannedNode {
    return this.get(key)[0];
  }
}
