// Learning-rate schedules: step (0-based optimizer step) → learning rate. They follow the
// Hugging Face transformers schedules, so a recipe's numbers mean the same as in a paper's code:
// during warmup the rate rises linearly from 0 (at step 0) to the peak (at step warmupSteps).

export type LrSchedule = (step: number) => number;

export interface WarmupDecayOptions {
  peak: number;
  warmupSteps: number;
  totalSteps: number;
  /** The rate decays to peak · minRatio at totalSteps (default 0). */
  minRatio?: number;
}

export function constantLr(lr: number): LrSchedule {
  check(lr, 0, 1, 0);
  return () => lr;
}

/** Warmup, then linear decay to peak·minRatio at totalSteps (HF get_linear_schedule_with_warmup). */
export function warmupLinear(o: WarmupDecayOptions): LrSchedule {
  const min = o.minRatio ?? 0;
  check(o.peak, o.warmupSteps, o.totalSteps, min);
  return (step) => {
    if (step < o.warmupSteps) return (o.peak * step) / o.warmupSteps;
    const left = Math.max(0, (o.totalSteps - step) / Math.max(1, o.totalSteps - o.warmupSteps));
    return o.peak * (min + (1 - min) * left);
  };
}

/** Warmup, then half a cosine down to peak·minRatio at totalSteps (HF get_cosine_schedule_with_warmup). */
export function warmupCosine(o: WarmupDecayOptions): LrSchedule {
  const min = o.minRatio ?? 0;
  check(o.peak, o.warmupSteps, o.totalSteps, min);
  return (step) => {
    if (step < o.warmupSteps) return (o.peak * step) / o.warmupSteps;
    const progress = Math.min(1, (step - o.warmupSteps) / Math.max(1, o.totalSteps - o.warmupSteps));
    return o.peak * (min + (1 - min) * 0.5 * (1 + Math.cos(Math.PI * progress)));
  };
}

export type ScheduleSpec =
  | { kind: 'constant'; lr: number }
  | ({ kind: 'linear' | 'cosine' } & WarmupDecayOptions);

/** A schedule from plain params (e.g. a plugin's `schedule: cosine`). */
export function makeSchedule(spec: ScheduleSpec): LrSchedule {
  if (spec.kind === 'constant') return constantLr(spec.lr);
  return spec.kind === 'linear' ? warmupLinear(spec) : warmupCosine(spec);
}

function check(peak: number, warmup: number, total: number, min: number): void {
  if (!(Number.isFinite(peak) && peak >= 0)) throw new Error(`learning rate must be a finite number >= 0, got ${peak}`);
  if (!(Number.isInteger(warmup) && warmup >= 0)) throw new Error(`warmupSteps must be an integer >= 0, got ${warmup}`);
  if (!(Number.isInteger(total) && total >= warmup)) throw new Error(`totalSteps must be an integer >= warmupSteps (${warmup}), got ${total}`);
  if (!(min >= 0 && min <= 1)) throw new Error(`minRatio must lie in [0, 1], got ${min}`);
}
