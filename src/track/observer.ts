// The run lifecycle as seen by trackers (MLflow, or nothing). A tracker hears the run's events
// through run/tracking-subscriber.ts; it must never throw into the run: a tracking failure is
// reported and spooled, the run goes on.
import type { TrackConfig } from '../graph/types.js';
import type { MetricPoint, TrackingRef } from '../store/manifest.js';
import type { RunStatus } from '../store/runs.js';
import type { SweepRunInfo } from './sweep-runs.js';
import type { Key, NodeId } from '../util/ids.js';

export type { MetricPoint, TrackConfig, TrackingRef };

export interface RunInfo {
  runId: string;              // retort run id (also the run record file name)
  recipe: string;             // recipe path as given
  recipeName: string;
  startedAt: number;          // ms since epoch
  argv: string[];
  cwd: string;
  /** Resolved `track:` section of the recipe merged with CLI flags. */
  track: TrackConfig;
  /** The recipe's resolved vars: params of the parent run (as `vars.<name>`). */
  vars?: Record<string, unknown>;
  /** The `-S path=value` overrides as given: params of the parent run (as `override.<path>`). */
  overrides?: string[];
  /** More params of the parent run, as given (a sweep's settings). */
  params?: Record<string, string>;
  /** The tracked run this run nests under (`mlflow.parentRunId`): a sweep's run, for a trial. */
  parentRef?: TrackingRef;
  /** A sweep's run: each trial gets a run nested under this one, and the trial's nodes nest under it. */
  sweep?: SweepRunInfo;
}


export interface NodeInfo {
  id: NodeId;                 // e.g. "train#2" or "eval[rte]"
  stage: string;
  key: Key;
  plugin: { id: string; version: string };
  params: Record<string, unknown>;
  /** The labelled key structure (for tags / debugging). */
  keyStructure: unknown;
}


/** Summary of a run's end, as trackers record it. */
export interface RunSummary { status: RunStatus; hits: number; ran: number; failed: number; endedAt: number }

export interface NodeResult {
  status: RunStatus;
  metrics: MetricPoint[];
  startedAt: number;
  endedAt: number;
  error?: string;
  /** Path of the published artifact (status ok). */
  artifactDir?: string;
}


/** A cache hit as a run reports it: the node, the run that produced its entry, its stored metrics. */
export interface CachedHit { node: NodeInfo; producedBy?: TrackingRef; metrics: MetricPoint[] }

export interface RunObserver {
  runStarted(run: RunInfo): Promise<void>;
  /** Called before a node executes; the returned ref is stored in the node's manifest. */
  nodeStarted(node: NodeInfo): Promise<TrackingRef | void>;
  nodeMetric(node: NodeInfo, point: MetricPoint): void;
  nodeFinished(node: NodeInfo, result: NodeResult): Promise<void>;
  /** A cache hit; `producedBy` is the ref stored when the artifact was produced. */
  nodeCached(node: NodeInfo, producedBy: TrackingRef | undefined, metrics: MetricPoint[]): Promise<void>;
  /** Many cache hits at once, as nodeCached one by one would record them (a no-op run has thousands). */
  nodesCached?(hits: readonly CachedHit[]): Promise<void>;
  runFinished(summary: RunSummary): Promise<void>;
  /** Text files logged as artifacts of the parent run (e.g. the rendered tables), before it finishes. */
  runArtifacts?(files: { path: string; content: string }[]): Promise<void>;
  /** Flush pending writes (called before exit, also on interrupt). */
  close(): Promise<void>;
  /** The tracked run runStarted created (absent when tracking is off or failed), for runs nested under it. */
  runRef?(): TrackingRef | undefined;
  /** Metrics of the run itself (a sweep's objective per trial, the trial's number as the step). */
  runMetrics?(points: MetricPoint[]): Promise<void>;
  /** Tags of the run itself (a sweep's links to the runs of trials that came back from the store). */
  runTags?(tags: Record<string, string>): Promise<void>;
  /** The tracked run of a sweep's trial (absent when none was made, e.g. a linked trial). */
  trialRef?(trialId: string): TrackingRef | undefined;
}
