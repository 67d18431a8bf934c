// The compiled form of a recipe: nodes with fully resolved params and inputs.
import type { LoadedPlugin } from '../plugin/registry.js';
import type { Plain } from '../recipe/load.js';
import type { SourceMap } from '../recipe/source-map.js';
import type { TrackConfig } from '../track/observer.js';

export type InputRef =
  | { kind: 'node'; node: string; port: string }
  | { kind: 'path'; path: string };

export type NodeInput = InputRef | InputRef[];

export interface Resources {
  memoryMb?: number; cpus?: number; gpus?: number; timeLimit?: string;
  /** Where and as whom a cluster executor runs the node (the local executor ignores them). */
  partition?: string; account?: string; qos?: string; constraint?: string; sbatchArgs?: string[];
}

/** The recipe's `executor:` block: which executor, and defaults for the jobs of a cluster executor. */
export interface ExecutorConfig {
  type: 'local' | 'slurm';
  partition?: string; account?: string; qos?: string; constraint?: string; sbatchArgs?: string[]; timeLimit?: string;
}

export interface NodeSpec {
  id: string;
  stage: string;
  plugin: LoadedPlugin;
  params: Record<string, unknown>;
  inputs: Record<string, NodeInput>;
  item?: Plain;
  itemKey?: string;
  iteration?: number;
  resources: Resources;
  /** Node ids this node consumes. */
  upstream: string[];
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

export interface TableSpec {
  title?: string;
  /** One stage, or several whose nodes are pooled into one table (e.g. baselines and a method). */
  stage: string | string[];
  row?: string;
  metrics: string[];
  aggregate?: 'mean' | 'mean±std' | 'mean±se' | 'median' | 'min' | 'max' | 'last';
  scale?: number;
  digits?: number;
  average?: boolean;
  transpose?: boolean;
  /** Display names of rows by the label `row` gives them (e.g. a node id); named rows come first, in this order. */
  labels?: Record<string, string>;
}

export interface CompiledRecipe {
  file: string;
  name: string;
  files: string[];
  sources: SourceMap;
  vars: Record<string, Plain>;
  nodes: Map<string, NodeSpec>;
  /** Node ids, every node after the nodes it consumes. */
  order: string[];
  /** Stage id → its node ids in declaration order. */
  stages: Map<string, string[]>;
  track: Partial<TrackConfig>;
  /** The recipe's `executor:` (absent: the local executor, unless `retort run --executor` says otherwise). */
  executor?: ExecutorConfig;
  tables: TableSpec[];
  /** Set when the recipe was compiled as a sweep (a `sweep:` block or sweep overrides). */
  sweep?: SweepInfo;
}
