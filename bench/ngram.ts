// Benchmark: n-gram LM scoring throughput (tokens/s on one core) against the plain reference
// implementation (test/ml/lm/ngram-reference.ts) on the same model and tokens, in this process.
// Data: the real task folders under /work/shared/data/tasks (read at bench time, not copied).
//
//   npx vite-node bench/ngram.ts [--tasks DIR] [--order 4]

import { performance } from 'node:perf_hooks';
import { listTaskFolders, loadTaskFolder } from '../src/lib/data/task-folder.js';
import type { TaskRow } from '../src/lib/data/task.js';
import { NgramLM } from '../src/lib/ml/lm/ngram.js';
import { ReferenceKneserNey, referenceLogProbs } from '../test/ml/lm/ngram-reference.js';
import { tokenize } from '../src/lib/ml/tokenize.js';
import { splitRows } from './task-rows.js';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return (i >= 0 ? process.argv[i + 1] : undefined) ?? fallback;
}

const tasksDir = arg('tasks', '/work/shared/data/tasks');
const order = Number(arg('order', '4'));

function rowText(row: TaskRow): string {
  return `${Object.values(row.fields).join('\n')}\n${row.output}\n`;
}

async function main(): Promise<void> {
  const train: string[] = [];
  const test: string[] = [];
  for (const dir of await listTaskFolders(tasksDir)) {
    const task = await loadTaskFolder(dir, { splits: ['train', 'test'] });
    for (const r of splitRows(task, 'train')) train.push(rowText(r));
    for (const r of splitRows(task, 'test')) test.push(rowText(r));
  }

  // 1. The full-size model: training time, file size, load time, scoring throughput.
  let t0 = performance.now();
  const lm = NgramLM.train(train, { order });
  const trainMs = performance.now() - t0;
  const bytes = lm.serialize();
  t0 = performance.now();
  const { deserializeNgram } = await import('../src/lib/ml/lm/ngram/file.js');
  deserializeNgram(bytes);
  const loadMs = performance.now() - t0;
  const encoded = test.map((t) => lm.model.encode(t));
  const nTest = encoded.reduce((n, a) => n + a.ids.length, 0);
  const sc = lm.model.newScorer(lm.mix);
  const scoreAll = (): number => {
    let sum = 0;
    for (const { ids, tokens } of encoded) {
      sc.reset();
      for (let i = 0; i < ids.length; i++) sum += sc.scorePush(ids[i]!, tokens[i]!); // in range; the timed loop
    }
    return sum;
  };
  scoreAll(); // warm-up
  t0 = performance.now();
  const reps = 3;
  for (let r = 0; r < reps; r++) scoreAll();
  const fastFull = (nTest * reps) / ((performance.now() - t0) / 1000);
  // End to end through the LanguageModel API (tokenization included).
  const reqs = test.slice(0, 5000).map((t) => {
    const cut = t.lastIndexOf('\n', t.length - 2) + 1;
    return { context: t.slice(0, cut), continuation: t.slice(cut) };
  });
  const apiTokens = reqs.reduce((n, r) => n + tokenize(r.context + r.continuation).length, 0);
  t0 = performance.now();
  await lm.scoreContinuations(reqs);
  const apiRate = apiTokens / ((performance.now() - t0) / 1000);

  // The shared tokenizer alone.
  const sample = test.join('');
  t0 = performance.now();
  const nTok = tokenize(sample, { lowercase: true }).length;
  const tokMs = performance.now() - t0;

  console.log(`tokenizer: ${(nTok / (tokMs / 1000) / 1e6).toFixed(2)} M tokens/s (${(sample.length / (tokMs / 1000) / 1e6).toFixed(1)} M chars/s, lower-casing)`);
  console.log(`n-gram LM, order ${order}, trained on ${train.length} texts (${lm.model.info.trainedTokens} tokens, vocabulary ${lm.model.vocab.size})`);
  console.log(`  train ${(trainMs / 1000).toFixed(2)} s; model file ${(bytes.length / 1e6).toFixed(1)} MB, loads in ${loadMs.toFixed(1)} ms`);
  console.log(`  scoring (λ=${lm.mix.lambda}, cache on): ${(fastFull / 1e6).toFixed(2)} M tokens/s over ${nTest} test tokens`);
  console.log(`  scoreContinuations end to end (tokenizing included): ${(apiRate / 1e6).toFixed(2)} M tokens/s`);

  // 2. Against the reference on a model small enough for its string maps.
  const small = train.filter((_, i) => i % 25 === 0);
  const smallLm = NgramLM.train(small, { order });
  const seqs = small.map((t) => [...smallLm.model.vocab.encode(tokenize(t, { lowercase: true }))]);
  t0 = performance.now();
  const ref = new ReferenceKneserNey(seqs, order, smallLm.model.vocab.size);
  const refTrainMs = performance.now() - t0;
  t0 = performance.now();
  NgramLM.train(small, { order });
  const fastTrainMs = performance.now() - t0;
  const probe = test.filter((_, i) => i % 40 === 0).map((t) => smallLm.model.encode(t));
  const nProbe = probe.reduce((n, a) => n + a.ids.length, 0);
  t0 = performance.now();
  const expected = probe.map((e) => referenceLogProbs(ref, [...e.ids], e.tokens, smallLm.mix.lambda, smallLm.mix.mu));
  const refRate = nProbe / ((performance.now() - t0) / 1000);
  const ssc = smallLm.model.newScorer(smallLm.mix);
  let maxDiff = 0;
  const fastProbe = (check: boolean): void => {
    probe.forEach(({ ids, tokens }, k) => {
      ssc.reset();
      for (let i = 0; i < ids.length; i++) {
        const lp = ssc.scorePush(ids[i]!, tokens[i]!); // in range; the timed loop
        if (check) maxDiff = Math.max(maxDiff, Math.abs(lp - expected[k]![i]!)); // one reference per probe token
      }
    });
  };
  fastProbe(true);
  t0 = performance.now();
  const probeReps = 20;
  for (let r = 0; r < probeReps; r++) fastProbe(false);
  const fastRate = (nProbe * probeReps) / ((performance.now() - t0) / 1000);
  console.log(`vs reference (same model: ${small.length} texts, ${smallLm.model.info.trainedTokens} tokens; ${nProbe} probe tokens)`);
  console.log(`  max |Δ log p| = ${maxDiff.toExponential(2)}`);
  console.log(`  scoring: ours ${(fastRate / 1e6).toFixed(2)} M tokens/s, reference ${(refRate / 1e3).toFixed(1)} k tokens/s, ratio ${(fastRate / refRate).toFixed(0)}x`);
  console.log(`  training: ours ${fastTrainMs.toFixed(0)} ms, reference ${refTrainMs.toFixed(0)} ms, ratio ${(refTrainMs / fastTrainMs).toFixed(1)}x`);
  if (maxDiff > 1e-9) {
    console.error('MISMATCH between the fast model and the reference');
    process.exitCode = 1;
  }
}

await main();
