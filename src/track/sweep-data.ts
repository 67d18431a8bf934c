// What the tracker needs of a sweep, as plain data that can be kept on disk (a detached run keeps it
// from its submission until its jobs have ended): the trials, each with the nodes it reports; the
// sweep's settings as params of its run; and each trial's nodes and key, to remember a trial that completes.
import type { TrialRunInfo } from './sweep-runs.js';
import type { NodeId } from '../util/ids.js';

export interface SweepTrackingData {
  id: string;
  trials: TrialRunInfo[];
  params: Record<string, string>;
  /** Trial id → every node of the trial. */
  nodesOf: Record<string, NodeId[]>;
  /** Trial id → the hash of its node keys (see sweep/trial-runs.ts). */
  keyOf: Record<string, string>;
}
