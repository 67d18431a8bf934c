// How a sweep is laid out in MLflow. The run of `retort run` is the sweep's run; each trial is a
// run nested under it (its assignments and vars as params, its nodes' final metrics as metrics);
// a node that belongs to one trial nests under that trial's run. A node several trials share
// (data, BM25, the reward model…) ran once, so it has one run: nested under the sweep's run and
// tagged with the trials that use it, while each of those trials gets a tag pointing at that run
// and the node's final metrics, so one trial's run shows every result of that trial.
import type { RunHandle } from './backend.js';
import type { NodeId } from '../util/ids.js';

/** A trial as the tracker needs it. */
export interface TrialRunInfo {
  id: string;
  /** Override path → value (the trial's params `override.<path>`; a variant's name as `variant`). */
  assignments: Record<string, unknown>;
  /** The trial's own resolved vars (params `vars.<name>`). */
  vars: Record<string, unknown>;
  /** The trial's own `track.tags`. */
  tags: Record<string, string>;
  /** The trial's nodes this run reports (executed or cached). */
  nodes: NodeId[];
  /** The MLflow run that made this trial before, when every node of it is cached: linked, not logged again. */
  linkTo?: string;
}

/** What makes a run a sweep's run. */
export interface SweepRunInfo { id: string; trials: TrialRunInfo[] }

export type TrialStatus = 'FINISHED' | 'FAILED' | 'KILLED';

export interface TrialRunState {
  info: TrialRunInfo;
  handle?: RunHandle;
  /** Node id → how it ended in this run: cached, ran, failed or cancelled. */
  heard: Map<NodeId, 'hit' | 'ok' | 'failed' | 'cancelled'>;
  finished: boolean;
}

/** Trials by the nodes they have. */
export function trialsByNode(sweep: SweepRunInfo): Map<NodeId, string[]> {
  const out = new Map<NodeId, string[]>();
  for (const t of sweep.trials) {
    for (const id of t.nodes) {
      const list = out.get(id);
      if (list) list.push(t.id); else out.set(id, [t.id]);
    }
  }
  return out;
}

/** A trial's end: failed or killed if one of its nodes was, finished when all of them were heard, else as the run ended. */
export function trialStatus(state: TrialRunState, runStatus: TrialStatus): TrialStatus {
  const ends = [...state.heard.values()];
  if (ends.includes('failed')) return 'FAILED';
  if (ends.includes('cancelled')) return 'KILLED';
  if (state.info.nodes.every((id) => state.heard.has(id))) return 'FINISHED';
  return runStatus === 'FINISHED' ? 'FINISHED' : runStatus;
}

/** The trials of a shared node as one tag value, kept under MLflow's 5000 characters. */
export function trialList(ids: string[], most = 4000): string {
  let text = '';
  for (const [i, id] of ids.entries()) {
    const next = text ? `${text}; ${id}` : id;
    if (next.length > most) return `${text}; … (${ids.length - i} more)`;
    text = next;
  }
  return text;
}
