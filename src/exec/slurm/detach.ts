// A detached Slurm run: every miss submitted as a job waiting (afterok) for its upstream jobs, and
// nothing followed. The jobs compute and publish their nodes by themselves; the run record keeps
// each node's job id and the job folder, for `retort status` to follow the run later.
import type { Plan, PlannedNode } from '../../graph/plan.js';
import type { SubmittingExecutor } from '../executor.js';
import type { Key, NodeId } from '../../util/ids.js';

export interface DetachedNode { id: NodeId; key: Key; job: string; after: string[] }

export interface DetachedSubmission {
  /** Node id → its job; nodes of one key share their lead's job. */
  jobs: Map<NodeId, DetachedNode>;
  /** Jobs submitted, in order. */
  submitted: string[];
}

/**
 * Submits the plan's misses in topological order, one job per distinct key. When a submission
 * fails, the jobs submitted before it are cancelled and the error says which they were.
 */
export async function submitDetached(plan: Plan, executor: SubmittingExecutor, scope?: ReadonlySet<NodeId>): Promise<DetachedSubmission> {
  const jobOfKey = new Map<string, string>();
  const jobs = new Map<NodeId, DetachedNode>();
  const submitted: string[] = [];
  const keyOf = (id: NodeId) => plan.nodes.get(id)!.key;
  for (const id of plan.order) {
    const node = plan.nodes.get(id)!;
    if (!node.run || (scope && !scope.has(id))) continue;
    const shared = jobOfKey.get(node.key);
    if (shared) { jobs.set(id, { id, key: node.key, job: shared, after: jobs.get(leadOf(plan, node))?.after ?? [] }); continue; }
    const after = [...new Set(node.spec.upstream.map((up) => jobOfKey.get(keyOf(up))).filter((j): j is string => j !== undefined))];
    let handle: string;
    try {
      ({ handle } = await executor.submit({ node, after, started: async () => undefined, report: () => undefined }));
    } catch (err) {
      if (submitted.length) await executor.cancel(submitted).catch(() => undefined);
      const left = submitted.length ? `; cancelled the ${submitted.length} job${submitted.length > 1 ? 's' : ''} submitted before it (${submitted.join(', ')})` : '';
      throw new Error(`${id}: ${(err as Error).message}${left}`, { cause: err });
    }
    jobOfKey.set(node.key, handle);
    submitted.push(handle);
    jobs.set(id, { id, key: node.key, job: handle, after });
  }
  return { jobs, submitted };
}

function leadOf(plan: Plan, node: PlannedNode): NodeId {
  return plan.order.find((id) => plan.nodes.get(id)!.key === node.key)!;
}
