// Messages between the scheduler and a node's own process.
import type { Key, NodeId } from '../util/ids.js';

export interface NodeJob {
  nodeId: NodeId;
  stage: string;
  key: Key;
  plugin: { kind: 'module' | 'command'; entry: string; command?: string[]; outputs: Record<string, { optional?: boolean }> };
  params: Record<string, unknown>;
  inputs: Record<string, string | string[]>;
  outDir: string;
  /** The key's scratch directory (created on first use by the node). */
  scratch: string;
  seed: number;
  env: Record<string, string>;
}

/** `env`, when given, replaces the runner's environment before the plugin loads (a runner started ahead of its job). */
export type ToChild = { type: 'start'; job: NodeJob; env?: Record<string, string> } | { type: 'cancel' };

/** Why the runner itself failed a node, when it was not the plugin's own error. */
export type RunnerReason =
  | { kind: 'missing-output'; ports: string[] }
  | { kind: 'stray-output' }
  | { kind: 'exit-code'; code: number }
  | { kind: 'signal'; signal: string };

export type FromChild =
  | { type: 'log'; level: 'info' | 'warn' | 'error'; message: string }
  | { type: 'metric'; name: string; value: number; step: number; timestamp: number }
  | { type: 'progress'; done: number; total: number }
  | { type: 'done' }
  /** `reason` absent: the plugin's own error, told in `message`. */
  | { type: 'failed'; message: string; detail?: string; reason?: RunnerReason };
