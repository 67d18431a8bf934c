// The shape of a built table: what renderers print and what provenance explains.
import type { NodeSpec, TableSpec } from '../graph/types.js';
import type { TrackingRef } from '../track/observer.js';

/**
 * Where a node of a table stands: `ok` has results; `stale` has an entry in the store for an
 * older key of the node only; `new` was never computed; `pending` has no results, reason not asked.
 */
export type NodeStatus = 'ok' | 'stale' | 'new' | 'pending';

/** A node as a table reads it: its metrics (when it has results) and where they came from. */
export interface TableNode {
  spec: NodeSpec;
  metrics: Map<string, number> | undefined;
  key?: string;
  status?: NodeStatus;
  /** Why a stale node misses (the plan's reason, e.g. "params changed: k 8 → 16"). */
  detail?: string;
  /** The run that produced the entry, and its tracking reference (e.g. the MLflow run). */
  runId?: string;
  tracking?: TrackingRef;
}

/** One node behind a cell, with the value it gave (before `scale`). */
export interface CellSource {
  node: string;
  key?: string;
  metric: string;
  status: NodeStatus;
  value?: number;
  detail?: string;
  runId?: string;
  tracking?: TrackingRef;
}

export interface Cell {
  /** Absent when no node behind the cell has a value yet. */
  value?: number;
  spread?: number;
  n: number;
  best?: boolean;
  sources: CellSource[];
  /** Provenance id (c1, c2, …), numbered across the tables of one output. */
  id?: string;
}

export interface TableRow {
  label: string;
  /** Summary tables: the trial's value of each axis, printed before the cells. */
  keys?: string[];
  cells: (Cell | undefined)[];
}

export interface TableData {
  spec: TableSpec;
  /** Header of the label column. */
  rowHeader: string;
  /** Summary tables: the axis columns printed after the label. */
  keyColumns?: string[];
  columns: string[];
  rows: TableRow[];
  /** Nodes without results yet. */
  missing: string[];
  /** The nodes of the table with their status, for the notes under it. */
  nodes: { id: string; status: NodeStatus; detail?: string; cells: string[] }[];
  /** Metrics (names or globs) that no node with results records: said, not left as empty cells. */
  unrecorded?: { metric: string; recorded: string[] }[];
  /** Further lines under the table (e.g. how to rank a sweep summary). */
  hints?: string[];
}
