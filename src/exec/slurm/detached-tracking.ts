// What a detached Slurm run needs to be tracked in MLflow once its jobs have ended, kept in its job
// folder when it is submitted: the tracking settings in force then (`--no-track` included), the
// nodes as the tracker describes them, what the store said of the plan-time hits, and a sweep's
// trials. Settling the run replays it from this (see detached-replay.ts); a marker beside it makes
// sure that happens once, whoever settles the run.
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import type { PlannedNode } from '../../graph/plan.js';
import { isNotFound } from '../../store/fsutil.js';
import type { MetricPoint, NodeInfo, TrackConfig, TrackingRef } from '../../track/observer.js';
import type { SweepTrackingData } from '../../track/sweep-data.js';
import { nodeInfo } from '../scheduler.js';
import { writeWhole } from './job-spec.js';
import type { NodeId } from '../../util/ids.js';

export interface DetachedTracking {
  v: 1;
  /** The recipe's `track:` with --track / --no-track applied, at submit time. */
  track: TrackConfig;
  /** Where the run was to log then (credentials removed): an http(s) URI or the local store's file: URI. */
  target?: string;
  /** The folder `retort run` was started in (the run's git commit is read there). */
  cwd: string;
  /** The recipe's resolved vars (params of the run). */
  vars: Record<string, unknown>;
  /** Every node the run reports, hits and submitted ones, in plan order. */
  nodes: NodeInfo[];
  /** The plan-time hits: the run that produced each, and its stored metrics. */
  cached: Record<NodeId, { producedBy?: TrackingRef; metrics: MetricPoint[] }>;
  sweep?: SweepTrackingData;
}

export function trackingFile(jobDir: string): string {
  return join(jobDir, 'tracking.json');
}

/** The snapshot of a run about to be detached; only the settings when it is not tracked. */
export function detachedTracking(req: { track: TrackConfig; target?: string; cwd: string; vars: Record<string, unknown>;
  nodes: PlannedNode[]; sweep?: SweepTrackingData }): DetachedTracking {
  if (!req.track.enabled) return { v: 1, track: req.track, cwd: req.cwd, vars: {}, nodes: [], cached: {} };
  const cached: DetachedTracking['cached'] = {};
  for (const n of req.nodes) {
    if (n.status === 'hit' && !n.run && n.manifest) cached[n.spec.id] = { ...(n.manifest.tracking ? { producedBy: n.manifest.tracking } : {}), metrics: n.manifest.metrics };
  }
  return {
    v: 1, track: req.track, ...(req.target ? { target: req.target } : {}), cwd: req.cwd, vars: req.vars,
    nodes: req.nodes.map(nodeInfo), cached, ...(req.sweep ? { sweep: req.sweep } : {}),
  };
}

export async function writeDetachedTracking(jobDir: string, snapshot: DetachedTracking): Promise<void> {
  // Non-finite metric values (NaN, Infinity) are kept as strings, as manifests keep them.
  await writeWhole(trackingFile(jobDir), JSON.stringify(snapshot, (_, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v)));
}

/** The snapshot, or why there is none to use (the message names the file). */
export async function readDetachedTracking(jobDir: string): Promise<DetachedTracking | { problem: string }> {
  const file = trackingFile(jobDir);
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (err) {
    if (isNotFound(err)) return { problem: `${file} is missing (the run was submitted by a Retort that did not keep its tracking settings)` };
    return { problem: `${file} could not be read: ${(err as Error).message}` };
  }
  let value: Partial<DetachedTracking>;
  try {
    value = JSON.parse(text) as Partial<DetachedTracking>;
  } catch (err) {
    return { problem: `${file} is not valid JSON (${(err as Error).message})` };
  }
  if (value?.v !== 1 || typeof value.track !== 'object' || value.track === null || !Array.isArray(value.nodes) || typeof value.cached !== 'object') {
    return { problem: `${file} is not a tracking snapshot Retort can read` };
  }
  const snapshot = value as DetachedTracking;
  for (const entry of Object.values(snapshot.cached)) entry.metrics = entry.metrics.map(numeric);
  return snapshot;
}

function numeric(p: MetricPoint): MetricPoint {
  return typeof p.value === 'string' ? { ...p, value: Number(p.value) } : p;
}

/**
 * Claims the right to log the run: true for the one caller that creates the marker, false for any
 * later one (the run was logged, or is being logged, by another `retort status`).
 */
export async function claimTracking(jobDir: string): Promise<boolean> {
  try {
    await fs.writeFile(join(jobDir, 'tracking.claimed'), `${process.pid}\n`, { flag: 'wx' });
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
}
