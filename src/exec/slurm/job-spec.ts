// What a Slurm job needs to compute one node by itself, written by the driver to a file on the
// shared filesystem, and what the job leaves behind for the driver (a result file beside it).
import { promises as fs } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { PlannedNode } from '../../graph/plan.js';
import type { ManifestFields } from '../../store/manifest.js';
import type { Store } from '../../store/store.js';
import type { MetricPoint, TrackingRef } from '../../track/observer.js';
import type { Failure } from '../failure.js';
import type { NodeJob } from '../protocol.js';
import { inputPaths } from '../input-paths.js';
import { seedFor } from '../scheduler.js';
import type { Key, NodeId } from '../../util/ids.js';

/** One node for one job (or one array task). */
export interface NodeJobSpec {
  /** The store's root, on a filesystem the job's machine shares with the driver. */
  store: string;
  /** The node as the node runner gets it; the staging and scratch folders are the job's own. */
  job: Omit<NodeJob, 'outDir' | 'scratch' | 'env'>;
  /** Variables the plugin declares: the job reads their values from its own environment (Slurm passes
   *  the submitting environment on), so that secrets never land in a file. */
  envNames: string[];
  /** The manifest fields the driver knows in advance (timings and metrics come from the job). */
  fields: Omit<ManifestFields, 'metrics' | 'startedAt' | 'endedAt'>;
  /** A forced recomputation: replace an existing entry instead of taking it as a hit. */
  replace: boolean;
  /** The node's memory limit, passed on to the node's own process as the local executor does. */
  memoryMb?: number;
  /** Where the job writes its JobResult. */
  result: string;
  /** Where the driver may leave the node's tracking reference (JSON) for the manifest. */
  trackingFile?: string;
}

/** A spec file: task i of an array job runs units[i]; a plain job runs units[0]. */
export interface JobSpecFile { v: 1; units: NodeJobSpec[] }

export type JobOutcome = 'ran' | 'hit' | 'failed' | 'cancelled';

export interface JobResult {
  v: 1;
  key: Key;
  nodeId: NodeId;
  outcome: JobOutcome;
  error?: string;
  /** Why the node failed, as the scheduler tells failures apart (error is its text). */
  failure?: Failure;
  metrics: MetricPoint[];
  startedAt: number;
  endedAt: number;
}

/** The job spec of a planned node, with its inputs resolved to paths in `store` (as the scheduler resolves them). */
export function nodeJobSpec(node: PlannedNode, store: Store,
  ctx: { runId: string; recipeName: string; result: string; tracking?: TrackingRef; trackingFile?: string }): NodeJobSpec {
  const { spec } = node;
  return {
    store: store.root,
    job: {
      nodeId: spec.id, stage: spec.stage, key: node.key,
      plugin: {
        kind: spec.plugin.kind, entry: spec.plugin.entry, command: spec.plugin.command,
        outputs: Object.fromEntries(Object.entries(spec.plugin.def.outputs).map(([p, s]) => [p, { optional: s.optional }])),
      },
      params: spec.params,
      inputs: inputPaths(node, store),
      seed: seedFor(node),
    },
    envNames: spec.plugin.def.env ?? [],
    fields: {
      keyStructure: node.structure, nodeId: spec.id, stage: spec.stage, recipe: ctx.recipeName,
      plugin: { id: spec.plugin.def.id, version: spec.plugin.def.version }, runId: ctx.runId,
      ...(ctx.tracking ? { tracking: ctx.tracking } : {}),
    },
    replace: node.reason?.kind === 'forced',
    ...(spec.resources.memoryMb ? { memoryMb: spec.resources.memoryMb } : {}),
    result: ctx.result,
    ...(ctx.trackingFile ? { trackingFile: ctx.trackingFile } : {}),
  };
}

/** Writes a file whole or not at all (a reader on another machine never sees half of it). */
export async function writeWhole(path: string, text: string): Promise<void> {
  await fs.mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  await fs.writeFile(tmp, text);
  await fs.rename(tmp, path);
}

export async function writeSpecFile(path: string, units: NodeJobSpec[]): Promise<void> {
  if (!units.length) throw new RangeError('a spec file needs at least one node');
  await writeWhole(path, JSON.stringify({ v: 1, units } satisfies JobSpecFile));
}

/** The tracking reference the driver left, or undefined (none yet, or unreadable: the entry goes without). */
export async function readTrackingRef(path: string): Promise<TrackingRef | undefined> {
  try { return JSON.parse(await fs.readFile(path, 'utf8')) as TrackingRef; } catch { return undefined; }
}

/** The job's result, or undefined while there is none (the job has not ended, or died before writing it). */
export async function readJobResult(path: string): Promise<JobResult | undefined> {
  let text: string;
  try { text = await fs.readFile(path, 'utf8'); } catch { return undefined; }
  const r = JSON.parse(text) as JobResult;
  return r.v === 1 ? r : undefined;
}

/** The command a batch job runs: this Node.js and the compiled job entry, on the spec file. */
export function jobMainCommand(specFile: string, nodeBinary = process.execPath): string[] {
  return [nodeBinary, join(dirname(fileURLToPath(import.meta.url)), 'job-main.js'), specFile];
}
