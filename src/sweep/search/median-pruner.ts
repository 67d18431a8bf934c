// The median stopping rule (Google Vizier; Optuna's MedianPruner): stop a trial whose best value so
// far is worse than the median of what completed trials had reached at the same step.
import { lossOf, type Direction, type Trial } from './sampler.js';

export interface MedianPrunerOptions {
  direction?: Direction;
  /** Never prune before this many trials have completed. Default 5. */
  nStartupTrials?: number;
  /** Never prune a trial before it has reported a step beyond this many. Default 0. */
  nWarmupSteps?: number;
}

export interface PruneDecision {
  prune: boolean;
  /** Why, in words a log line can show. */
  reason: string;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2; // of a non-empty list
}

export class MedianPruner {
  private readonly direction: Direction;
  private readonly nStartup: number;
  private readonly nWarmup: number;

  constructor(options: MedianPrunerOptions = {}) {
    this.direction = options.direction ?? 'minimize';
    this.nStartup = options.nStartupTrials ?? 5;
    this.nWarmup = options.nWarmupSteps ?? 0;
  }

  /** Decides for `trial` at its latest reported step, against the completed trials of `history`. */
  decide(trial: Trial, history: readonly Trial[]): PruneDecision {
    const reported = trial.intermediate ?? [];
    if (reported.length === 0) return { prune: false, reason: 'no intermediate value reported yet' };
    const step = Math.max(...reported.map((p) => p.step));
    if (step < this.nWarmup) return { prune: false, reason: `step ${step} is within the ${this.nWarmup} warm-up steps` };
    const done = history.filter((t) => t !== trial && t.state === 'done');
    if (done.length < this.nStartup) return { prune: false, reason: `${done.length} of ${this.nStartup} startup trials completed` };
    const loss = (v: number) => lossOf(v, this.direction);
    const sofar = reported.filter((p) => p.step <= step).map((p) => loss(p.value));
    const best = sofar.some(Number.isFinite) ? Math.min(...sofar.filter(Number.isFinite)) : NaN;
    // A trial that reported nothing but NaN or infinities has diverged.
    if (!Number.isFinite(best)) return { prune: true, reason: `no finite value reported up to step ${step}` };
    const atStep = done
      .map((t) => t.intermediate?.find((p) => p.step === step)?.value)
      .filter((v): v is number => typeof v === 'number' && Number.isFinite(v))
      .map(loss);
    if (atStep.length === 0) return { prune: false, reason: `no completed trial reported step ${step}` };
    const m = median(atStep);
    const shown = (v: number) => String(Number(lossOf(v, this.direction).toPrecision(6)));
    return best > m
      ? { prune: true, reason: `best value ${shown(best)} at step ${step} is worse than the median ${shown(m)} of ${atStep.length} completed trials` }
      : { prune: false, reason: `best value ${shown(best)} at step ${step} is no worse than the median ${shown(m)} of ${atStep.length} completed trials` };
  }
}
