// Benchmark: greedy generation on the student model of recipes/negative-distillation.yaml
// (nat-pretrain's defaults: Llama layout, d 64, 2 layers, 4 heads, FFN 128, byte-level BPE of 400
// ids), 20 prompts of the arithmetic suite in one batch (nat-student's batch), 72 new tokens each
// (nat-student's maxNew), no early stop so every method writes the same number of tokens.
// Three decoders in the same run: the decoding greedyDecode used before (the whole sequence again
// at every step), generate() with the key/value cache, and PyTorch (1.13, one thread) with
// past_key_values on the same weights (bench/generate_torch.py). Prints tokens/s and ratios.
//
//   npx vite-node bench/generate.ts [--model DIR (a nat-pretrain output)] [--batch 20] [--new 72] [--repeats 2]
//
// Measured on the shared 2-core machine under a load of 21–29 (so take ±50 %), with --batch 5
// --new 24 --repeats 1 (the defaults did not finish in 15 minutes at that load): before 7
// tokens/s, with the cache 56 tokens/s (7.8×), PyTorch 77 tokens/s (ours takes 1.4× its time);
// all three wrote the same tokens for all 5 rows.

import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/lib/nn/backend.js';
import { generate } from '../src/lib/nn/generate.js';
import { LlamaDecoder } from '../src/lib/nn/models/llama.js';
import { loadPretrained, savePretrained } from '../src/lib/nn/pretrained.js';
import { loadTokenizer } from '../src/lib/nn/tokenizer/tokenizer-json.js';
import { trainByteLevelBpe } from '../src/lib/nn/tokenizer/trainers/train.js';
import type { Tokenizer } from '../src/lib/nn/tokenizer/tokenizer.js';
import { END_OF_TEXT, exampleOf, lmBatch, PAD, promptOf } from '../src/lib/reasoning/student.js';
import { generateSuite } from '../src/lib/reasoning/suite.js';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return (i >= 0 ? process.argv[i + 1] : undefined) ?? fallback;
}

const batch = Number(arg('batch', '20'));
const maxNew = Number(arg('new', '72'));
const repeats = Number(arg('repeats', '2'));
const modelDir = arg('model', '');
const python = process.env.RETORT_TORCH_PYTHON ?? '/usr/bin/python3';
const here = dirname(fileURLToPath(import.meta.url));

/** The decoding the student used before the cache: every step reads every row's whole sequence. */
function recomputeGreedy(model: LlamaDecoder, prompts: number[][], pad: number): number[][] {
  const rows = prompts.map((prompt) => ({ prompt, generated: [] as number[] }));
  for (let step = 0; step < maxNew; step++) {
    const seqs = rows.map((r) => [...r.prompt, ...r.generated]);
    const next = tf.tidy(() => {
      const b = lmBatch(seqs, pad);
      const logits = model.forward({ inputIds: b.inputIds, attentionMask: b.attentionMask }).logits as tf.Tensor3D;
      const [n, t, v] = logits.shape;
      const last = tf.tensor1d(seqs.map((s, k) => k * t + s.length - 1), 'int32');
      return tf.argMax(tf.gather(logits.reshape([n * t, v]), last), -1).dataSync();
    });
    rows.forEach((r, i) => r.generated.push(next[i]!)); // one token per row
  }
  return rows.map((r) => r.generated);
}

/** Best wall time of `repeats` runs, after one untimed warm-up run. */
function time<T>(run: () => T): { seconds: number; out: T } {
  let out = run();
  let best = Infinity;
  for (let r = 0; r < repeats; r++) {
    const start = performance.now();
    out = run();
    best = Math.min(best, (performance.now() - start) / 1000);
  }
  return { seconds: best, out };
}

async function studentModel(dir: string): Promise<{ model: LlamaDecoder; tok: Tokenizer }> {
  if (modelDir) {
    const { model } = await loadPretrained(modelDir);
    return { model: model as LlamaDecoder, tok: await loadTokenizer(join(modelDir, 'tokenizer.json')) };
  }
  // nat-pretrain's sizes; weights drawn wider than at initialisation so that greedy choices are clear-cut.
  const corpus = generateSuite({ seed: 11, trainSize: 600, testSize: 0 }).train.map((q) => exampleOf(q.question, q.rationale));
  const tok = trainByteLevelBpe(corpus, { vocabSize: 400, minFrequency: 2, specialTokens: [PAD, END_OF_TEXT] });
  const model = new LlamaDecoder({ vocabSize: tok.vocabSize, hiddenSize: 64, numLayers: 2, numHeads: 4, intermediateSize: 128, maxPositions: 256 }, 1);
  let seed = 1;
  for (const [name, v] of model.variables()) if (!name.includes('norm')) v.assign(tf.randomNormal(v.shape, 0, 0.15, 'float32', seed++));
  await savePretrained(join(dir, 'model'), model, { tokenizerJson: JSON.stringify(tok.toJSON()) });
  return { model, tok };
}

function agreement(a: number[][], b: number[][]): string {
  const same = a.filter((row, i) => row.join() === b[i]?.join()).length;
  return `${same}/${a.length} rows identical`;
}

const root = await mkdtemp(join(tmpdir(), 'retort-bench-generate-'));
try {
  const backend = await initBackend();
  const { model, tok } = await studentModel(root);
  if (modelDir) await savePretrained(join(root, 'model'), model, { tokenizerJson: JSON.stringify(tok.toJSON()) });
  const pad = tok.tokenToId(PAD) as number;
  const questions = generateSuite({ seed: 1, trainSize: 0, testSize: batch }).test.slice(0, batch);
  const prompts = questions.map((q) => tok.encode(promptOf(q.question), { addSpecialTokens: false }).ids);
  const tokens = prompts.length * maxNew;
  console.log(`${backend.summary}; ${prompts.length} prompts of ${Math.min(...prompts.map((p) => p.length))}–${Math.max(...prompts.map((p) => p.length))} tokens, ${maxNew} new tokens each`);

  const before = time(() => recomputeGreedy(model, prompts, pad));
  const after = time(() => generate(model, prompts, { maxNewTokens: maxNew, padId: pad }).map((g) => g.tokens));
  const file = join(root, 'prompts.json');
  await writeFile(file, JSON.stringify({ prompts, pad }));
  const torch = JSON.parse(execFileSync(python, [join(here, 'generate_torch.py'), join(root, 'model'), file, String(maxNew), String(repeats)], { encoding: 'utf8' })) as {
    torch: string;
    seconds: number;
    tokens: number[][];
  };

  const rate = (s: number) => tokens / s;
  const rows = [
    ['re-reading the sequence every step (before)', before.seconds],
    ['generate() with the key/value cache (after)', after.seconds],
    [`PyTorch ${torch.torch}, past_key_values, 1 thread`, torch.seconds],
  ] as const;
  for (const [name, s] of rows) console.log(`${name.padEnd(52)} ${s.toFixed(2).padStart(7)} s  ${rate(s).toFixed(0).padStart(7)} tokens/s`);
  console.log(`cache speed-up over before: ${(before.seconds / after.seconds).toFixed(1)}×`);
  console.log(`ours / PyTorch (time):      ${(after.seconds / torch.seconds).toFixed(1)}×`);
  console.log(`greedy outputs: cache vs before ${agreement(after.out, before.out)}; cache vs PyTorch ${agreement(after.out, torch.tokens)}`);
  model.dispose();
} finally {
  await rm(root, { recursive: true, force: true });
}
