// The bag-of-tokens loss: a case computed by hand (unique ids, max-pooling over the 8 positions,
// the /10 scale, rows with no target skipped), the v1 summed form, and the released code's loss
// and mask in PyTorch as the reference (fails under CI=true without torch).

import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/lib/nn/backend.js';
import { bagOfTokensLoss } from '../../src/lib/nn/losses.js';
import { jointRows, suffixMask } from '../../src/lib/llara/batch.js';
import { summedTokenLoss } from '../../src/lib/llara/objective.js';
import type { PromptIds } from '../../src/lib/llara/prompts.js';
import { emptyTargetRows } from '../../src/lib/llara/targets.js';
import { RUN_TORCH_TESTS, TORCH_PYTHON } from '../nn/torch.js';

const here = dirname(fileURLToPath(import.meta.url));

beforeAll(async () => {
  await initBackend();
});

function logSoftmax(z: number[]): number[] {
  const m = Math.max(...z);
  const lse = m + Math.log(z.reduce((s, x) => s + Math.exp(x - m), 0));
  return z.map((x) => x - lse);
}

describe('bag-of-tokens loss', () => {
  it('max-pools over the positions, averages over unique ids > 2, scales by 1/10 and skips empty rows', () => {
    // V = 5, 2 positions (8 in LLaRA; the pooling is the same).
    const z = [
      [[1, 0, 2, -1, 0.5], [0, 3, 1, 2, -2]], // row 0: max → [1, 3, 2, 2, 0.5]
      [[0, 0, 0, 0, 0], [1, 1, 1, 1, 1]],     // row 1: no target left → skipped
      [[2, 1, 0, 4, 1], [0, 0, 3, 1, 2]],     // row 2: max → [2, 1, 3, 4, 2]
    ];
    const targets = [[3, 4, 3, 3, 1], [0, 2, 1], [4]];
    const r0 = logSoftmax([1, 3, 2, 2, 0.5]);
    const r2 = logSoftmax([2, 1, 3, 4, 2]);
    const expected = ((-(r0[3]! + r0[4]!) / 2) + -r2[4]!) / 2 / 10;
    const loss = tf.tidy(() => bagOfTokensLoss(tf.tensor3d(z), targets, { scale: 0.1, ignoreIds: [0, 1, 2] }).dataSync()[0]);
    expect(loss).toBeCloseTo(expected, 6);
    expect(emptyTargetRows(targets, [0, 1, 2])).toBe(1);
  });

  it('the v1 form sums over every target token, repeats counted, without the scale', () => {
    const z = [[[1, 0, 2, -1, 0.5]], [[0, 0, 0, 0, 0]]];
    const l0 = logSoftmax([1, 0, 2, -1, 0.5]);
    const expected = -(3 * l0[3]! + l0[4]!); // row 1 has no target: the mean is over one row
    const loss = tf.tidy(() => summedTokenLoss(tf.tensor3d(z), [[3, 4, 3, 3], [1]], [0, 1, 2]).dataSync()[0]);
    expect(loss).toBeCloseTo(expected, 5);
  });
});

describe.runIf(RUN_TORCH_TESTS)('against the released code in PyTorch', () => {
  it('gives the same bag-of-tokens losses, attention mask and position ids', () => {
    if (!TORCH_PYTHON) throw new Error('PyTorch is required for the reference tests (install python3-torch, or set RETORT_TORCH_PYTHON)');
    const b = 3, k = 8, v = 40;
    let s = 7;
    const rand = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648) * 6 - 3;
    const make = () => Array.from({ length: b }, () => Array.from({ length: k }, () => Array.from({ length: v }, rand)));
    const logits = make();
    const logitsEbar = make();
    const ebae = [[5, 9, 9, 1, 33, 12], [2, 1, 0], [39, 3, 3, 3]];
    const ebar = [[7, 8], [], [10, 11, 12, 13, 10]];
    const text = 5, e = 11, r = 10;
    const prompt: PromptIds = { form: 'llara', prefix: [], ebae: Array(e).fill(1), ebar: Array(r).fill(2), k: 8, ignoreIds: [0, 1, 2] };
    const rows = jointRows([[9, 9, 9, 9, 9]], prompt, 0);
    const t = rows.t;
    const ref = JSON.parse(execFileSync(TORCH_PYTHON, [join(here, 'llara_reference.py')], { input: JSON.stringify({ logits, logits_ebar: logitsEbar, ebae, ebar, t, e, r, text }), timeout: 120_000 }).toString());
    const ours = tf.tidy(() => ({
      ebae: bagOfTokensLoss(tf.tensor3d(logits), ebae, { scale: 0.1, ignoreIds: prompt.ignoreIds }).dataSync()[0],
      ebar: bagOfTokensLoss(tf.tensor3d(logitsEbar), ebar, { scale: 0.1, ignoreIds: prompt.ignoreIds }).dataSync()[0],
      mask: Array.from(suffixMask(1, t, e, r).dataSync()),
    }));
    expect(ours.ebae).toBeCloseTo(ref.ebae, 5);
    expect(ours.ebar).toBeCloseTo(ref.ebar, 5);
    // Blocked = our suffix mask or the causal mask the decoder adds.
    const blocked = (q: number, c: number) => (ours.mask[q * t + c]! < 0 || c > q ? 1 : 0);
    expect(Array.from({ length: t }, (_, q) => Array.from({ length: t }, (_, c) => blocked(q, c)))).toEqual(ref.mask_blocked);
    expect(Array.from(rows.positions)).toEqual(ref.positions);
  });
});
