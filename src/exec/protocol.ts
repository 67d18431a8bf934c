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

/**
 * `env`, when given, replaces the runner's environment before the plugin loads (a runner started
 * ahead of its job, or one that ran a node before). `keep`: the runner may stay for another job
 * after this one, when it is left clean (see node-runner.ts); otherwise it exits when done.
 */
export type ToChild = { type: 'start'; job: NodeJob; env?: Record<string, string>; keep?: boolean } | { type: 'cancel' };

/**
 * Written by a runner that stays for another job on its stdout and its stderr after the job's last
 * output, so that the parent knows where one job's lines end on each stream (the IPC channel and the
 * pipes are read independently, so `done` may arrive before the last lines).
 */
export const JOB_END_MARK = '\u0000retort: end of job\u0000';

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
  /** `stays`: the runner is clean and waits for another job (it then wrote JOB_END_MARK on both streams). */
  | { type: 'done'; stays?: boolean }
  /** `reason` absent: the plugin's own error, told in `message`. */
  | { type: 'failed'; message: string; detail?: string; reason?: RunnerReason };
