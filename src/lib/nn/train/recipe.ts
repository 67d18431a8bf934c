// The usual way a stage trains: AdamW with decoupled weight decay, linear warmup then linear decay,
// global-norm clipping, curves under a prefix, checkpoints in the stage's scratch. One place for
// it, so every trainer reads its settings the same way.

import type { TrainContext, TrainOptions } from './loop.js';
import { warmupLinear } from './schedule.js';

export interface WarmupDecaySettings {
  steps: number;
  seed: number;
  lr: number;
  warmupSteps: number;
  weightDecay: number;
  clipNorm: number;
  logEvery: number;
  checkpoint?: { dir: string; every: number; fingerprint: string };
}

type Common = 'steps' | 'seed' | 'optimizer' | 'schedule' | 'clipNorm' | 'logEvery' | 'checkpoint' | 'ctx';

/** The options of `train()` for these settings; curves go to ctx.metric as `<prefix><name>`. */
export function warmupDecayTraining(s: WarmupDecaySettings, ctx: TrainContext, metricPrefix = 'train/'): Pick<TrainOptions<unknown>, Common> {
  const metric = ctx.metric?.bind(ctx);
  return {
    steps: s.steps,
    seed: s.seed,
    optimizer: { lr: s.lr, weightDecay: s.weightDecay },
    schedule: warmupLinear({ peak: s.lr, warmupSteps: Math.min(s.warmupSteps, s.steps), totalSteps: s.steps }),
    clipNorm: s.clipNorm,
    logEvery: s.logEvery,
    checkpoint: s.checkpoint,
    ctx: { ...ctx, metric: (name, value, step) => metric?.(`${metricPrefix}${name}`, value, step) },
  };
}
