// PyTorch as the reference for the neural core's tests: find an interpreter with torch, build the
// reference checkpoints once per test file. Missing torch fails under CI=true and is a visible skip
// elsewhere.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { readSafetensorsSync, tensorsToTf } from '../../src/lib/nn/safetensors.js';

const here = dirname(fileURLToPath(import.meta.url));
export const REFERENCE_SCRIPT = join(here, 'reference', 'hf_reference.py');
export const IN_CI = process.env.CI === 'true' || process.env.CI === '1';

function hasTorch(python: string): boolean {
  try {
    execFileSync(python, ['-c', 'import torch'], { stdio: 'ignore', timeout: 60_000 });
    return true;
  } catch {
    return false;
  }
}

/** An interpreter that imports torch: $RETORT_TORCH_PYTHON alone when set, else Debian's /usr/bin/python3, then python3. */
export function findTorchPython(): string | undefined {
  const forced = process.env.RETORT_TORCH_PYTHON;
  const candidates = forced ? [forced] : ['/usr/bin/python3', 'python3'];
  return candidates.find(hasTorch);
}

export const TORCH_PYTHON = findTorchPython();
/** Run the PyTorch comparisons: always under CI (where a missing torch then fails), else when torch is here. */
export const RUN_TORCH_TESTS = IN_CI || TORCH_PYTHON !== undefined;
if (!TORCH_PYTHON && !IN_CI) console.warn('PyTorch not found: the comparisons against PyTorch are skipped (they fail under CI=true)');

/** Builds the reference checkpoints into a fresh directory; the caller removes it. */
export function buildReference(): string {
  if (!TORCH_PYTHON) {
    throw new Error('PyTorch is required for the reference tests (install python3-torch, or set RETORT_TORCH_PYTHON)');
  }
  const dir = mkdtempSync(join(tmpdir(), 'retort-nn-ref-'));
  execFileSync(TORCH_PYTHON, [REFERENCE_SCRIPT, dir], { stdio: ['ignore', 'pipe', 'inherit'], timeout: 120_000 });
  return dir;
}

export function removeReference(dir: string | undefined): void {
  if (dir) rmSync(dir, { recursive: true, force: true });
}

/** expected.safetensors of a case as tf tensors (caller disposes). */
export function loadExpected(dir: string, name: string): Map<string, tf.Tensor> {
  const file = join(dir, name, 'expected.safetensors');
  return tensorsToTf(readSafetensorsSync(file).tensors, file);
}

/** Largest |a - b|, optionally only over rows whose `rowMask` [b, t] is 1 (a, b: [b, t, ...]). */
export function maxAbsDiff(a: tf.Tensor, b: tf.Tensor, rowMask?: tf.Tensor): number {
  return tf.tidy(() => {
    if (a.shape.join() !== b.shape.join()) throw new Error(`shapes differ: [${a.shape}] vs [${b.shape}]`);
    let diff = tf.abs(tf.sub(a, b));
    if (rowMask) {
      const m = rowMask.toFloat().reshape([...rowMask.shape, ...new Array(a.rank - rowMask.rank).fill(1)]);
      diff = tf.mul(diff, m);
    }
    return diff.max().dataSync()[0]!; // a scalar
  });
}
