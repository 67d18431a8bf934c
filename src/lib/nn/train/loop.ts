// The training loop: sample → loss → gradients (accumulated over micro-batches) → clip → AdamW,
// with metrics, progress, cancellation and checkpoints. Everything that decides the next update
// (weights, optimizer moments and step counts, the sampler's position, the step) is in the
// checkpoint, and per-step randomness comes from (seed, step, micro-batch) alone, so a resumed
// run ends with the same weights, bit for bit, as one that was never interrupted.

import * as tf from '@tensorflow/tfjs';
import { NodeFailure } from '../../../plugin/api.js';
import { tensorsToTf } from '../safetensors.js';
import { AdamW, type AdamWOptions } from './adamw.js';
import { Checkpoints } from './checkpoint.js';
import { clipByGlobalNorm } from './clip.js';
import { deriveSeed } from './rng.js';
import type { BatchSampler, SampleRef } from './sampler.js';
import { constantLr, type LrSchedule } from './schedule.js';

/** What the loop uses of a plugin's context (a PluginContext fits). */
export interface TrainContext {
  metric?(name: string, value: number, step?: number): void;
  progress?(done: number, total: number): void;
  log?: { info(message: string): void; warn(message: string): void };
  signal?: AbortSignal;
}

export interface StepInfo {
  /** 0-based optimizer step. */
  step: number;
  /** Micro-batch within the step (gradient accumulation). */
  micro: number;
  /** A seed for this micro-batch's randomness (dropout): the same on a resumed run. */
  seed: number;
}

export interface TrainOptions<B> {
  /** Trainable variables by stable name (module.parameters()). */
  parameters: Map<string, tf.Variable> | (() => Map<string, tf.Variable>);
  /** Builds a batch from sampled references; called inside a tidy scope, so tensors it makes are freed. */
  makeBatch: (refs: SampleRef[], info: StepInfo) => B;
  /** The scalar loss of a batch. */
  loss: (batch: B, info: StepInfo) => tf.Scalar;
  sampler: BatchSampler;
  /** Optimizer steps in all (a resumed run counts those already done). */
  steps: number;
  /** Micro-batches per optimizer step; the gradient is their mean (default 1). */
  accumulate?: number;
  optimizer?: AdamWOptions;
  /** Learning rate per step; default the optimizer's constant lr. */
  schedule?: LrSchedule;
  /** Clip the global gradient norm to this (default: no clipping). */
  clipNorm?: number;
  /** Metrics (`loss`: mean over the interval, `lr`, `grad_norm` when clipping) and a log line every N steps (default 10). */
  logEvery?: number;
  seed: number;
  checkpoint?: {
    /** Usually ctx.scratch (or a folder inside it). */
    dir: string;
    /** Write a checkpoint every N steps (and after the last). */
    every: number;
    /** How many to keep (default 2). */
    keep?: number;
    /** Identifies the setup (e.g. JSON of the params); a checkpoint with another one is not resumed. */
    fingerprint?: string;
  };
  ctx?: TrainContext;
}

export interface TrainResult {
  /** Optimizer steps done in all. */
  steps: number;
  /** The step training resumed from (0 = from the start). */
  resumedFrom: number;
  /** Mean loss of the last logging interval. */
  lastLoss: number;
}

/** Thrown when ctx.signal aborts; the node then ends as cancelled. */
export class TrainingCancelled extends Error {
  constructor() {
    super('training cancelled');
    this.name = 'AbortError';
  }
}

export async function train<B>(opts: TrainOptions<B>): Promise<TrainResult> {
  const params = typeof opts.parameters === 'function' ? opts.parameters() : opts.parameters;
  const accumulate = opts.accumulate ?? 1;
  const logEvery = opts.logEvery ?? 10;
  checkOptions(opts, params, accumulate, logEvery);
  const ctx = opts.ctx ?? {};
  const vars = [...params.values()];
  const nameOfVar = new Map([...params].map(([name, v]) => [v.name, name]));
  const optimizer = new AdamW(params, opts.optimizer);
  const schedule = opts.schedule ?? constantLr(optimizer.lr);
  const checkpoints = opts.checkpoint && new Checkpoints(opts.checkpoint.dir, { keep: opts.checkpoint.keep, log: (level, m) => ctx.log?.[level](m) });

  let windowLoss: tf.Scalar | undefined; // sum of step losses since the last log
  let windowSteps = 0;
  let lastLoss = NaN;
  try {
    let start = 0;
    if (checkpoints) {
      const restored = await resume(checkpoints, params, optimizer, opts);
      if (restored) {
        start = restored.step;
        windowSteps = restored.windowSteps;
        windowLoss = restored.windowSteps > 0 ? tf.scalar(restored.windowLoss) : undefined;
        lastLoss = restored.lastLoss;
        ctx.log?.info(`resuming from the checkpoint at step ${start} of ${opts.steps}`);
      }
    }
    const began = Date.now();
    for (let step = start; step < opts.steps; step++) {
      const lr = schedule(step);
      let grads: Map<string, tf.Tensor> | undefined;
      let stepLoss: tf.Scalar | undefined;
      try {
        for (let micro = 0; micro < accumulate; micro++) {
          await yieldAndCheck(ctx.signal); // lets the cancel message in: tf work here is synchronous
          const info: StepInfo = { step, micro, seed: deriveSeed(opts.seed, step, micro) };
          const refs = opts.sampler.next();
          const { value, grads: g } = tf.tidy(() => {
            const batch = opts.makeBatch(refs, info);
            return tf.variableGrads(() => {
              const loss = opts.loss(batch, info);
              if (loss.rank !== 0) throw new Error(`the loss must be a scalar, got shape [${loss.shape}]`);
              return accumulate > 1 ? tf.div(loss, accumulate) : loss;
            }, vars);
          });
          stepLoss = accumulateInto(stepLoss, value);
          grads = addGrads(grads, g, nameOfVar);
        }
        let norm: tf.Scalar | undefined;
        if (opts.clipNorm !== undefined) {
          const clipped = clipByGlobalNorm(grads!, opts.clipNorm);
          disposeAll(grads!);
          grads = clipped.grads;
          norm = clipped.norm;
        }
        optimizer.step(grads!, lr);
        windowLoss = accumulateInto(windowLoss, stepLoss!);
        stepLoss = undefined;
        windowSteps++;
        const done = step + 1;
        if (done % logEvery === 0 || done === opts.steps) {
          lastLoss = (await windowLoss!.data())[0]! / windowSteps; // a scalar: one value
          windowLoss!.dispose();
          windowLoss = undefined;
          windowSteps = 0;
          if (!Number.isFinite(lastLoss)) throw new NodeFailure(`the training loss became ${lastLoss} by step ${done} (try a lower learning rate or clipNorm)`);
          ctx.metric?.('loss', lastLoss, done);
          ctx.metric?.('lr', lr, done);
          const normValue = norm ? (await norm.data())[0] : undefined;
          if (normValue !== undefined) ctx.metric?.('grad_norm', normValue, done);
          const eta = ((Date.now() - began) / (done - start)) * (opts.steps - done);
          ctx.log?.info(`step ${done}/${opts.steps}  loss ${lastLoss.toPrecision(5)}  lr ${lr.toExponential(3)}${normValue !== undefined ? `  grad_norm ${normValue.toPrecision(4)}` : ''}  eta ${formatEta(eta)}`);
        }
        norm?.dispose();
        ctx.progress?.(done, opts.steps);
        if (checkpoints && (done % opts.checkpoint!.every === 0 || done === opts.steps)) {
          // Once cancelled (or orphaned by a killed run), write nothing more: another run may own the directory soon.
          if (ctx.signal?.aborted) throw new TrainingCancelled();
          const loop = { windowSteps, windowLoss: windowLoss ? (await windowLoss.data())[0] : 0, lastLoss: Number.isFinite(lastLoss) ? lastLoss : null };
          const st = optimizer.state();
          await checkpoints.save({
            step: done, params, optimizer: st.tensors, optimizerSteps: st.steps, sampler: opts.sampler.state(), loop,
            fingerprint: opts.checkpoint!.fingerprint,
          });
        }
      } finally {
        if (grads) disposeAll(grads);
        stepLoss?.dispose();
      }
    }
    return { steps: opts.steps, resumedFrom: start, lastLoss };
  } finally {
    windowLoss?.dispose();
    optimizer.dispose();
  }
}

interface Restored { step: number; windowSteps: number; windowLoss: number; lastLoss: number }

async function resume<B>(checkpoints: Checkpoints, params: Map<string, tf.Variable>, optimizer: AdamW, opts: TrainOptions<B>): Promise<Restored | undefined> {
  const paramShapes = new Map([...params].map(([n, v]) => [n, [...v.shape]]));
  const found = await checkpoints.loadLatest({ paramShapes, fingerprint: opts.checkpoint!.fingerprint });
  if (!found) return undefined;
  if (found.state.step > opts.steps) {
    opts.ctx?.log?.warn(`checkpoint at step ${found.state.step} is past the ${opts.steps} steps asked for: training starts over`);
    return undefined;
  }
  const weights = tensorsToTf(found.params, found.dir);
  const moments = tensorsToTf(found.optimizer, found.dir);
  const samplerBefore = opts.sampler.state();
  try {
    // Both check everything before they change anything, so a mismatch leaves the fresh setup as it was.
    opts.sampler.restore(found.state.sampler);
    optimizer.loadState({ steps: found.state.optimizerSteps, tensors: moments });
    for (const [name, v] of params) v.assign(weights.get(name)!);
  } catch (err) {
    opts.sampler.restore(samplerBefore);
    opts.ctx?.log?.warn(`checkpoint ${found.dir} does not fit this training (${(err as Error).message}): training starts over`);
    return undefined;
  } finally {
    disposeAll(weights);
    disposeAll(moments);
  }
  const loop = found.state.loop as { windowSteps?: number; windowLoss?: number; lastLoss?: number | null };
  return { step: found.state.step, windowSteps: loop.windowSteps ?? 0, windowLoss: loop.windowLoss ?? 0, lastLoss: loop.lastLoss ?? NaN };
}

function checkOptions<B>(opts: TrainOptions<B>, params: Map<string, tf.Variable>, accumulate: number, logEvery: number): void {
  if (params.size === 0) throw new Error('train: no parameters to optimise');
  if (!Number.isInteger(opts.steps) || opts.steps < 0) throw new Error(`train: steps must be an integer >= 0, got ${opts.steps}`);
  if (!Number.isInteger(accumulate) || accumulate < 1) throw new Error(`train: accumulate must be an integer >= 1, got ${accumulate}`);
  if (!Number.isInteger(logEvery) || logEvery < 1) throw new Error(`train: logEvery must be an integer >= 1, got ${logEvery}`);
  if (opts.checkpoint && (!Number.isInteger(opts.checkpoint.every) || opts.checkpoint.every < 1)) {
    throw new Error(`train: checkpoint.every must be an integer >= 1, got ${opts.checkpoint.every}`);
  }
  for (const [name, v] of params) if (!v.trainable) throw new Error(`train: parameter "${name}" is not trainable (frozen variables belong outside parameters())`);
}

function yieldAndCheck(signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    setImmediate(() => (signal?.aborted ? reject(new TrainingCancelled()) : resolve()));
  });
}

function accumulateInto(sum: tf.Scalar | undefined, value: tf.Scalar): tf.Scalar {
  if (!sum) return value;
  const next = tf.add(sum, value) as tf.Scalar;
  sum.dispose();
  value.dispose();
  return next;
}

/** Adds this micro-batch's gradients (keyed by tf variable name) into the running sums (by parameter name). */
function addGrads(sums: Map<string, tf.Tensor> | undefined, grads: tf.NamedTensorMap, nameOfVar: Map<string, string>): Map<string, tf.Tensor> {
  const out = sums ?? new Map<string, tf.Tensor>();
  for (const [varName, g] of Object.entries(grads)) {
    const name = nameOfVar.get(varName)!;
    const prev = out.get(name);
    if (!prev) out.set(name, g);
    else {
      out.set(name, tf.add(prev, g));
      prev.dispose();
      g.dispose();
    }
  }
  return out;
}

function disposeAll(tensors: Map<string, tf.Tensor>): void {
  for (const t of tensors.values()) t.dispose();
  tensors.clear();
}

function formatEta(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}
