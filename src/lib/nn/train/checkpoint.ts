// Training checkpoints in a directory (normally ctx.scratch): weights, optimizer moments, the step,
// the sampler's position and a little loop state, written so that a kill at any moment leaves the
// previous checkpoints intact. Layout:
//   ckpt-<step, 9 digits>/tensors.safetensors   `param.<name>`, `exp_avg.<name>`, `exp_avg_sq.<name>`
//                        /state.json            step, sampler, optimizer steps, loop state, and the
//                                               size and sha256 of tensors.safetensors
//   .tmp-<random>/                             a checkpoint being written; renamed to ckpt-… when complete
// The newest checkpoint that reads back completely and matches the model wins; broken ones are
// reported and skipped (and, with none left, training starts over).

import { createHash, randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { encodeSafetensors, readSafetensors, tfToTensors, type SafeTensor } from '../safetensors.js';
import type { SamplerState } from './sampler.js';

export const CHECKPOINT_FORMAT = 1;
const TENSORS_FILE = 'tensors.safetensors';
const STATE_FILE = 'state.json';
const NAME = /^ckpt-(\d{9})$/;

export interface CheckpointState {
  format: number;
  step: number;
  sampler: SamplerState;
  optimizerSteps: Record<string, number>;
  /** Anything else the loop needs to continue exactly (JSON). */
  loop: Record<string, unknown>;
  /** Identifies the training setup; a checkpoint of another setup is not resumed. */
  fingerprint: string;
  tensors: { file: string; bytes: number; sha256: string };
}

export interface CheckpointContents {
  dir: string;
  state: CheckpointState;
  params: Map<string, SafeTensor>;
  optimizer: Map<string, SafeTensor>;
}

export interface SaveInput {
  step: number;
  params: Map<string, tf.Tensor>;
  /** Optimizer tensors, named `exp_avg.<param>` / `exp_avg_sq.<param>`. */
  optimizer: Map<string, tf.Tensor>;
  optimizerSteps: Record<string, number>;
  sampler: SamplerState;
  loop?: Record<string, unknown>;
  fingerprint?: string;
}

export type CheckpointLog = (level: 'info' | 'warn', message: string) => void;

export class Checkpoints {
  readonly dir: string;
  readonly keep: number;
  private readonly log: CheckpointLog;

  constructor(dir: string, opts: { keep?: number; log?: CheckpointLog } = {}) {
    this.dir = dir;
    this.keep = opts.keep ?? 2;
    if (!Number.isInteger(this.keep) || this.keep < 1) throw new Error(`checkpoints to keep must be an integer >= 1, got ${this.keep}`);
    this.log = opts.log ?? (() => undefined);
  }

  /** Writes a checkpoint of `step` and drops all but the newest `keep`. Returns its directory. */
  async save(input: SaveInput): Promise<string> {
    await fs.mkdir(this.dir, { recursive: true });
    const tmp = join(this.dir, `.tmp-${randomBytes(6).toString('hex')}`);
    await fs.mkdir(tmp);
    try {
      const tensors = new Map<string, SafeTensor>();
      for (const [name, t] of tfToTensors(input.params)) tensors.set(`param.${name}`, t);
      for (const [name, t] of tfToTensors(input.optimizer)) tensors.set(name, t);
      // Written inside the temporary directory, whose rename publishes the checkpoint in one step.
      const bytes = encodeSafetensors(tensors, { format: 'retort-checkpoint', step: String(input.step) }, join(tmp, TENSORS_FILE));
      await writeSynced(join(tmp, TENSORS_FILE), bytes);
      const state: CheckpointState = {
        format: CHECKPOINT_FORMAT,
        step: input.step,
        sampler: input.sampler,
        optimizerSteps: input.optimizerSteps,
        loop: input.loop ?? {},
        fingerprint: input.fingerprint ?? '',
        tensors: { file: TENSORS_FILE, bytes: bytes.byteLength, sha256: createHash('sha256').update(bytes).digest('hex') },
      };
      await writeSynced(join(tmp, STATE_FILE), JSON.stringify(state, null, 1) + '\n');
      const target = join(this.dir, checkpointName(input.step));
      await fs.rm(target, { recursive: true, force: true }); // a re-save of the same step (after a resume)
      await fs.rename(tmp, target);
      await this.prune();
      return target;
    } catch (err) {
      await fs.rm(tmp, { recursive: true, force: true });
      throw err;
    }
  }

  /** Completed checkpoints, newest first. */
  async list(): Promise<{ step: number; dir: string }[]> {
    const names = await fs.readdir(this.dir).catch(() => [] as string[]);
    return names
      .map((n) => ({ m: NAME.exec(n), n }))
      .filter((x) => x.m)
      .map((x) => ({ step: Number(x.m![1]), dir: join(this.dir, x.n) }))
      .sort((a, b) => b.step - a.step);
  }

  /**
   * The newest checkpoint that is complete and fits `expect` (same parameter names and shapes, same
   * fingerprint); each one passed over is reported with its reason. Undefined when there is none.
   */
  async loadLatest(expect: { paramShapes: Map<string, number[]>; fingerprint?: string }): Promise<CheckpointContents | undefined> {
    await this.removeUnfinished();
    const found = await this.list();
    for (const { dir } of found) {
      try {
        return await readCheckpoint(dir, expect);
      } catch (err) {
        this.log('warn', `checkpoint ${dir} is unusable: ${(err as Error).message}`);
      }
    }
    if (found.length > 0) this.log('warn', 'no usable checkpoint: training starts over');
    return undefined;
  }

  /** Removes every checkpoint (e.g. before a run that must not resume). */
  async clear(): Promise<void> {
    await fs.rm(this.dir, { recursive: true, force: true });
  }

  private async prune(): Promise<void> {
    for (const old of (await this.list()).slice(this.keep)) await fs.rm(old.dir, { recursive: true, force: true });
  }

  /** Half-written checkpoints of a killed attempt (only one process uses the directory at a time). */
  private async removeUnfinished(): Promise<void> {
    const names = await fs.readdir(this.dir).catch(() => [] as string[]);
    for (const n of names) if (n.startsWith('.tmp-')) await fs.rm(join(this.dir, n), { recursive: true, force: true });
  }
}

export function checkpointName(step: number): string {
  if (!Number.isInteger(step) || step < 0 || step > 999_999_999) throw new Error(`invalid checkpoint step ${step}`);
  return `ckpt-${String(step).padStart(9, '0')}`;
}

async function readCheckpoint(dir: string, expect: { paramShapes: Map<string, number[]>; fingerprint?: string }): Promise<CheckpointContents> {
  let state: CheckpointState;
  try {
    state = JSON.parse(await fs.readFile(join(dir, STATE_FILE), 'utf8')) as CheckpointState;
  } catch (err) {
    throw new Error(`${STATE_FILE} cannot be read (${(err as Error).message})`, { cause: err });
  }
  if (state?.format !== CHECKPOINT_FORMAT) throw new Error(`${STATE_FILE}: format ${JSON.stringify(state?.format)}, expected ${CHECKPOINT_FORMAT}`);
  if (!Number.isInteger(state.step) || state.step < 0) throw new Error(`${STATE_FILE}: invalid step ${JSON.stringify(state.step)}`);
  if ((expect.fingerprint ?? '') !== state.fingerprint) throw new Error('it was written by a different training setup (fingerprint differs)');
  const path = join(dir, state.tensors?.file ?? TENSORS_FILE);
  const bytes = await fs.readFile(path).catch((err: Error) => {
    throw new Error(`${TENSORS_FILE} cannot be read (${err.message})`);
  });
  const digest = createHash('sha256').update(bytes).digest('hex');
  if (bytes.byteLength !== state.tensors.bytes || digest !== state.tensors.sha256) {
    throw new Error(`${TENSORS_FILE} does not match its recorded size and checksum (${bytes.byteLength} bytes, expected ${state.tensors.bytes})`);
  }
  const { tensors } = await readSafetensors(path);
  const params = new Map<string, SafeTensor>();
  const optimizer = new Map<string, SafeTensor>();
  for (const [name, t] of tensors) {
    if (name.startsWith('param.')) params.set(name.slice('param.'.length), t);
    else optimizer.set(name, t);
  }
  for (const [name, shape] of expect.paramShapes) {
    const t = params.get(name);
    if (!t) throw new Error(`parameter "${name}" is missing`);
    if (!tf.util.arraysEqual(t.shape, shape)) throw new Error(`parameter "${name}" has shape [${t.shape}] but the model has [${shape}]`);
  }
  for (const name of params.keys()) if (!expect.paramShapes.has(name)) throw new Error(`parameter "${name}" is not in the model`);
  return { dir, state, params, optimizer };
}

async function writeSynced(path: string, text: string | Uint8Array): Promise<void> {
  const handle = await fs.open(path, 'w');
  try {
    await handle.writeFile(text);
    await handle.sync();
  } finally {
    await handle.close();
  }
}
