// What every search strategy shares: the trials it learns from, the direction of the objective and
// the one method a sweep driver calls to get new trials.
import type { Assignment, SearchSpace } from './space.js';

export type Direction = 'minimize' | 'maximize';

export type TrialState = 'done' | 'failed' | 'running' | 'pruned';

export interface IntermediateValue { step: number; value: number }

export interface Trial {
  assignment: Assignment;
  /** The objective of a 'done' trial. */
  objective?: number;
  state: TrialState;
  /** Values the trial reported while it ran (e.g. validation loss per epoch), for early stopping. */
  intermediate?: readonly IntermediateValue[];
}

export interface Sampler {
  /**
   * Up to `count` new assignments, given every trial so far (running ones included, so proposals
   * do not repeat a trial in flight). Fewer when the budget is spent or the space has no unused
   * point left. Deterministic: the same seed and history give the same proposals.
   */
  propose(history: readonly Trial[], count: number): Assignment[];
}

export interface SamplerOptions {
  space: SearchSpace;
  seed: number;
  direction?: Direction;
  /** The most trials the search makes, counting every trial of the history (failed ones too). */
  budget?: number;
}

/** How many trials may still be proposed: at most `count`, and what the budget leaves. */
export function proposalsAllowed(history: readonly Trial[], count: number, budget: number | undefined): number {
  const left = budget === undefined ? Infinity : budget - history.length;
  return Math.max(0, Math.min(Math.floor(count), left));
}

/** The objective as a loss (smaller is better), whatever the direction. */
export function lossOf(value: number, direction: Direction): number {
  return direction === 'maximize' ? -value : value;
}

/** Trials with a usable objective: done, with a finite value. */
export function completed(history: readonly Trial[]): Trial[] {
  return history.filter((t) => t.state === 'done' && typeof t.objective === 'number' && Number.isFinite(t.objective));
}

// Attempts at an assignment not already in flight before giving up on it (finite spaces can be full).
export const DUPLICATE_ATTEMPTS = 64;
