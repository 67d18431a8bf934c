// The compiled form of a recipe: nodes with fully resolved params and inputs.
import type { LoadedPlugin } from '../plugin/registry.js';
import type { Plain } from '../recipe/load.js';
import type { SourceMap } from '../recipe/source-map.js';
import type { ExecutorDoc, TableDoc } from './recipe-doc.generated.js';
import type { NodeId } from '../util/ids.js';

export type InputRef =
  | { kind: 'node'; node: NodeId; port: string }
  | { kind: 'path'; path: string };

export type NodeInput = InputRef | InputRef[];

export interface Resources {
  memoryMb?: number; cpus?: number; gpus?: number; timeLimit?: string;
  /** Where and as whom a cluster executor runs the node (the local executor ignores them). */
  partition?: string; account?: string; qos?: string; constraint?: string; sbatchArgs?: string[];
}

/** The recipe's `executor:` block: which executor, and defaults for the jobs of a cluster executor (schema $defs/executor). */
export type ExecutorConfig = ExecutorDoc;

export interface NodeSpec {
  id: NodeId;
  stage: string;
  plugin: LoadedPlugin;
  params: Record<string, unknown>;
  inputs: Record<string, NodeInput>;
  item?: Plain;
  itemKey?: string;
  iteration?: number;
  resources: Resources;
  /** Node ids this node consumes. */
  upstream: NodeId[];
  /** In a sweep: the ids of the trials this node belongs to (nodes with equal keys are one node, shared). */
  trials?: string[];
}

/** One trial of a sweep: its id and the value of each axis, by the override path the axis sets. */
export interface TrialInfo {
  id: string;
  /** e.g. { 'vars.seed': 2, 'stages.retriever.params.alpha': 0.1 } */
  assignments: Record<string, Plain>;
}

/** What a compiled sweep adds to its recipe: its identity and its trials. */
export interface SweepInfo {
  /** A hash of the recipe and the sweep spec: the same sweep resumes, a changed one is reported. */
  id: string;
  trials: TrialInfo[];
}

/** How the nodes that share a cell combine (seeds, say); `mean ± sem` and `mean±se` are the same. */
export type Aggregation = NonNullable<TableDoc['aggregate']>;

export type BestDirection = 'max' | 'min';

/** A report table as the recipe writes it (schema $defs/table); interpolation leaves its shape as it is. */
export type TableSpec = TableDoc;

/** The recipe's `track:` block merged with the command line's flags. */
export interface TrackConfig {
  enabled: boolean;
  /** MLflow tracking URI; when absent, a local FileStore under runs/mlruns. */
  uri?: string;
  experiment: string;
  /** Extra tags for the parent run. */
  tags?: Record<string, string>;
}

export interface CompiledRecipe {
  file: string;
  name: string;
  files: string[];
  sources: SourceMap;
  vars: Record<string, Plain>;
  nodes: Map<NodeId, NodeSpec>;
  /** Node ids, every node after the nodes it consumes. */
  order: NodeId[];
  /** Stage id → its node ids in declaration order. */
  stages: Map<string, NodeId[]>;
  track: Partial<TrackConfig>;
  /** The recipe's `executor:` (absent: the local executor, unless `retort run --executor` says otherwise). */
  executor?: ExecutorConfig;
  tables: TableSpec[];
  /** Set when the recipe was compiled as a sweep (a `sweep:` block or sweep overrides). */
  sweep?: SweepInfo;
}
