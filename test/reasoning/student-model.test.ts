// A trained student on disk: a LoRA student is merged into a plain model folder that
// loadPretrained reads with the same outputs; a NAT student keeps the base model (what
// loadPretrained reads) plus its adapters and unit, which loadStudent restores exactly.

import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/lib/nn/backend.js';
import { addLora } from '../../src/lib/nn/lora.js';
import { LlamaDecoder } from '../../src/lib/nn/models/llama.js';
import type { Module } from '../../src/lib/nn/module.js';
import { addNat, setNatMode } from '../../src/lib/nn/nat.js';
import { loadPretrained } from '../../src/lib/nn/pretrained.js';
import { trainByteLevelBpe } from '../../src/lib/nn/tokenizer/trainers/train.js';
import { END_OF_TEXT, PAD } from '../../src/lib/reasoning/student.js';
import { loadStudent, NAT_CONFIG_FILE, saveMergedStudent, saveNatStudent } from '../../src/lib/reasoning/student-model.js';

const root = mkdtempSync(join(tmpdir(), 'retort-student-model-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
beforeAll(async () => void (await initBackend()));

const config = { vocabSize: 24, hiddenSize: 16, numLayers: 2, numHeads: 2, intermediateSize: 32, maxPositions: 16 };
const tokenizerJson = () => JSON.stringify(trainByteLevelBpe(['Question: 1 + 2\nAnswer: 3'], { vocabSize: 260, minFrequency: 1, specialTokens: [PAD, END_OF_TEXT] }).toJSON());
const ids = () => tf.tensor2d([[1, 5, 7, 2, 9, 3]], [1, 6], 'int32');
const logits = (model: LlamaDecoder) => tf.tidy(() => Array.from(model.forward({ inputIds: ids() }).logits!.dataSync()));

function randomise(model: Module, pattern: RegExp, seed: number): void {
  let s = seed;
  for (const [name, v] of model.variables()) if (pattern.test(name)) v.assign(tf.randomNormal(v.shape, 0, 0.5, 'float32', s++));
}

function maxDiff(a: number[], b: number[]): number {
  return Math.max(...a.map((x, i) => Math.abs(x - b[i]!)));
}

describe('student model folders', () => {
  it('a LoRA student is merged: loadPretrained gives the trained outputs, not the base ones', async () => {
    const model = new LlamaDecoder(config, 1);
    const before = logits(model);
    addLora(model, { rank: 2, alpha: 4, targets: ['q_proj', 'v_proj'], seed: 2 });
    randomise(model, /lora_B/, 3);
    const trained = logits(model);
    expect(maxDiff(trained, before)).toBeGreaterThan(1e-3);
    const dir = join(root, 'lora');
    await saveMergedStudent(dir, model, tokenizerJson(), 'default');
    const { model: loaded } = await loadPretrained(dir);
    expect(maxDiff(logits(loaded as LlamaDecoder), trained)).toBeLessThan(1e-4);
    expect(existsSync(join(dir, 'tokenizer.json'))).toBe(true);
    expect(existsSync(join(dir, NAT_CONFIG_FILE))).toBe(false);
    expect((await loadStudent(dir)).nat).toBe(false);
  });

  it('a NAT student: loadPretrained reads its base, loadStudent restores adapters and unit (mode mix, frozen)', async () => {
    const model = new LlamaDecoder(config, 1);
    const base = logits(model);
    addNat(model, { rank: 2, alpha: 4, unitDim: 3, targets: ['q_proj', 'v_proj'], seed: 2 });
    randomise(model, /lora_B|W_2/, 5);
    setNatMode(model, 'mix');
    const mix = logits(model);
    setNatMode(model, 'neg');
    const neg = logits(model);
    expect(maxDiff(mix, base)).toBeGreaterThan(1e-3);
    const dir = join(root, 'nat');
    await saveNatStudent(dir, model, tokenizerJson(), { rank: 2, alpha: 4, unitDim: 3, correction: 0.5, targets: ['q_proj', 'v_proj'] });

    const { model: plain } = await loadPretrained(dir);
    expect(maxDiff(logits(plain as LlamaDecoder), base)).toBeLessThan(1e-5);
    const restored = await loadStudent(dir);
    expect(restored.nat).toBe(true);
    expect(restored.model.parameters().size).toBe(0);
    expect(maxDiff(logits(restored.model), mix)).toBeLessThan(1e-5);
    setNatMode(restored.model, 'neg');
    expect(maxDiff(logits(restored.model), neg)).toBeLessThan(1e-5);
  });

  it('a folder without a decoder is a clear error', async () => {
    await expect(loadStudent(join(root, 'nowhere'))).rejects.toThrow(/no config\.json/);
  });
});
