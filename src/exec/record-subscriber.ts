// The run record as a subscriber of the run's events: written when the run is planned (after its
// 'running' marker), and once more, complete, when it finishes; in between it only listens.
// A run with nothing to run writes it once, at its end: its 'running' form would protect no entry
// the run reads (a gc root for inputs of nodes to run), and a kill before the end leaves the marker,
// which the next run reaps (closing the run's MLflow runs) as it reaps any other.
import type { RunEvent, RunSubscriber } from './events.js';
import { failureMessage } from './failure.js';
import { clearRunning, markRunning, writeRunRecord, type RunRecord, type RunRecordNode } from '../store/runs.js';
import type { NodeId } from '../util/ids.js';

export interface RecordSubscriberOptions {
  runsDir: string;
  /** The record's fixed part; its status and nodes come from the events. */
  record: Omit<RunRecord, 'status' | 'nodes' | 'endedAt'>;
  /** Kept in the marker, so a later run can close this run's MLflow runs if this process dies. */
  tracking: { trackingUri?: string; experiment?: string };
  /** False for a run with no node to run: its record is written once, complete, when it finishes. */
  runningRecord?: boolean;
}

type Ended = Pick<RunRecordNode, 'outcome' | 'durationMs' | 'error' | 'recomputed'>;

/** How every hit ends in the record (one shared object: a no-op run has thousands of hits). */
const HIT: Ended = Object.freeze({ outcome: 'hit', durationMs: 0 });
const NOT_SETTLED: Ended = Object.freeze({ outcome: 'skipped' });

export function recordSubscriber({ runsDir, record: fixed, tracking, runningRecord = true }: RecordSubscriberOptions): RunSubscriber {
  let record: RunRecord | undefined;
  // The marker first: a run killed between the two writes then leaves a marker the next run reaps,
  // never a 'running' record that nothing points at.
  const open = async (r: RunRecord) => {
    await markRunning(runsDir, fixed.runId, tracking);
    if (runningRecord) await writeRunRecord(runsDir, r);
  };
  const close = async (r: RunRecord) => {
    await writeRunRecord(runsDir, r);
    await clearRunning(runsDir, fixed.runId);
  };
  const ended = new Map<NodeId, Ended>();
  const jobs = new Map<NodeId, string>();
  const retries = new Map<NodeId, NonNullable<RunRecordNode['retries']>>();
  return {
    name: 'run record',
    required: true,
    handle(event: RunEvent): void | Promise<void> {
      switch (event.type) {
        case 'run-planned':
          record = { ...fixed, status: 'running', nodes: event.nodes.map(({ id, stage, key }) => ({ id, stage, key, outcome: 'skipped' })) };
          return open(record);
        case 'node-cached': ended.set(event.node.id, HIT); return;
        case 'nodes-cached': for (const { node } of event.nodes) ended.set(node.id, HIT); return;
        case 'node-submitted': jobs.set(event.nodeId, event.job); return;
        case 'node-retry': retries.set(event.nodeId, [...(retries.get(event.nodeId) ?? []), { attempt: event.attempt, reason: event.reason }]); return;
        case 'node-finished': {
          const { result } = event;
          const durationMs = result.startedAt !== undefined && result.endedAt !== undefined ? result.endedAt - result.startedAt : undefined;
          ended.set(event.node.id, {
            outcome: result.outcome, durationMs, error: result.outcome === 'ran' ? undefined : failureMessage(result.failure),
            ...(result.outcome === 'ran' && result.recomputed ? { recomputed: result.recomputed } : {}),
          });
          return;
        }
        case 'run-finished': {
          if (!record) return;
          record.status = event.status;
          record.endedAt = event.endedAt;
          // Nodes the run did not settle (outside --target) stay 'skipped'.
          for (const n of record.nodes) settle(n, ended.get(n.id) ?? NOT_SETTLED, jobs.get(n.id), retries.get(n.id));
          return close(record);
        }
        default: return;
      }
    },
  };
}

/**
 * A planned node's line ({id, stage, key, outcome}) settled in place, its fields in the record's
 * order (id, stage, key, the end, job, retries): no second object per node of a 10^4-node run.
 */
function settle(n: RunRecordNode, end: Ended, job: string | undefined, tries: RunRecordNode['retries']): void {
  n.outcome = end.outcome;
  if ('durationMs' in end) n.durationMs = end.durationMs;
  if ('error' in end) n.error = end.error;
  if ('recomputed' in end) n.recomputed = end.recomputed;
  if (job !== undefined) n.job = job;
  if (tries !== undefined) n.retries = tries;
}
