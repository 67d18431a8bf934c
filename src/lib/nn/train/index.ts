// Training: AdamW, schedules, clipping, a seeded sampler, the loop and its checkpoints.
//
//   const sampler = new BatchSampler({ sources: pairs.length, batchSize: 32, seed: ctx.seed });
//   await train({
//     parameters: model.parameters(), sampler, steps: 2000, seed: ctx.seed, ctx,
//     makeBatch: (refs) => encode(refs.map((r) => pairs[r.index])),     // tensors here are freed per step
//     loss: (batch, { seed }) => infoNce(model.encode(batch, { dropoutSeed: seed })),
//     optimizer: { lr: 3e-5, weightDecay: 0.01 }, clipNorm: 1, accumulate: 2,
//     schedule: warmupLinear({ peak: 3e-5, warmupSteps: 100, totalSteps: 2000 }),
//     checkpoint: { dir: ctx.scratch, every: 200, fingerprint: JSON.stringify(ctx.params) },
//   });
export { AdamW, defaultNoDecay, type AdamWOptions, type AdamWState } from './adamw.js';
export { constantLr, warmupLinear, warmupCosine, makeSchedule, type LrSchedule, type ScheduleSpec, type WarmupDecayOptions } from './schedule.js';
export { clipByGlobalNorm, globalNorm } from './clip.js';
export { BatchSampler, type SampleRef, type SampleSource, type SamplerOptions, type SamplerState } from './sampler.js';
export { Rng, deriveSeed, type RngState } from './rng.js';
export { Checkpoints, checkpointName, type CheckpointContents, type CheckpointState, type SaveInput } from './checkpoint.js';
export { train, TrainingCancelled, type StepInfo, type TrainContext, type TrainOptions, type TrainResult } from './loop.js';
export { warmupDecayTraining, type WarmupDecaySettings } from './recipe.js';
