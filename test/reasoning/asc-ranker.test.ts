// ASC's ranking model on text: triples from labelled samples, the rationale mask of the encoding,
// training with the power loss on a separable constructed set (the loss falls, positives end up
// above negatives on questions it never saw), the saved ranker scoring as before, and the
// asc-ranker stage with its metrics and its failure when no triple exists.

import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import ascRanker from '../../plugins/asc-ranker/index.js';
import { AscRanker, loadAscRanker, saveAscRanker } from '../../src/lib/nn/asc.js';
import { initBackend } from '../../src/lib/nn/backend.js';
import { loadTokenizer } from '../../src/lib/nn/tokenizer/tokenizer-json.js';
import { encodeRationales, rankingTriples, scoreRationales, trainRanker, trainRankerTokenizer } from '../../src/lib/reasoning/ranker.js';
import type { LabelledSample } from '../../src/lib/reasoning/samples.js';
import { runPlugin } from '../plugins/ctx.js';

const root = mkdtempSync(join(tmpdir(), 'retort-asc-ranker-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
beforeAll(async () => {
  await initBackend();
});

const sample = (id: string, k: number, positive: boolean, text: string): LabelledSample => ({
  id, sample: k, question: `Question ${id}: how many apples are left?`, gold: '5', text, predicted: null, positive,
});

/** A separable set: positives check their work, negatives guess. */
function constructed(questions: number, offset = 0): LabelledSample[] {
  const rows: LabelledSample[] = [];
  for (let q = offset; q < offset + questions; q++) {
    const id = `q${q}`;
    rows.push(sample(id, 0, true, `We add ${q} and 2 carefully and check it. The answer is ${q + 2}.`));
    rows.push(sample(id, 1, true, `Counting again and checking: ${q} plus 2. The answer is ${q + 2}.`));
    rows.push(sample(id, 2, false, `Maybe we guess without a check. The answer is ${q + 7}.`));
    rows.push(sample(id, 3, false, `A quick guess, no check at all. The answer is ${q + 9}.`));
  }
  return rows;
}

const tinyConfig = { hiddenSize: 16, numLayers: 1, numHeads: 2, intermediateSize: 32, maxPositions: 64, hiddenDropout: 0, attentionDropout: 0 };

describe('ranking triples', () => {
  it('pairs each positive with each negative of its question, capped, and counts questions without one', () => {
    const rows = [...constructed(2), sample('only-pos', 0, true, 'x'), sample('only-neg', 0, false, 'y'), sample('only-neg', 1, false, 'z')];
    const all = rankingTriples(rows, { maxPerQuestion: 10, seed: 1 });
    expect(all.triples).toHaveLength(8); // 2 questions × 2 positives × 2 negatives
    expect(all.questions).toBe(2);
    expect(all.withoutPositive).toBe(1);
    expect(all.withoutNegative).toBe(1);
    for (const t of all.triples) {
      expect(t.positive).toContain('check');
      expect(t.negative).toContain('guess');
    }
    const capped = rankingTriples(rows, { maxPerQuestion: 3, seed: 1 });
    expect(capped.triples).toHaveLength(6);
    expect(rankingTriples(rows, { maxPerQuestion: 3, seed: 1 })).toEqual(capped);
  });
});

describe('the ranker on text', () => {
  const rows = constructed(12);
  const tok = trainRankerTokenizer([...rows.map((r) => r.question), ...rows.map((r) => r.text)], 200);

  it('pools the rationale tokens only, and keeps the end of a rationale cut to fit', () => {
    const { inputs, scorable } = encodeRationales(tok, ['how many apples'], ['we add apples the answer is 5'], 64);
    const ids = Array.from(inputs.inputIds.dataSync());
    const mask = Array.from(inputs.rationaleMask.dataSync());
    const pooled = tok.decode(ids.filter((_, i) => mask[i] === 1));
    expect(pooled).toBe('we add apples the answer is 5');
    expect(scorable).toEqual([true]);
    const cut = encodeRationales(tok, ['how many'], ['we add apples the answer is 5'], 8);
    const keptIds = Array.from(cut.inputs.inputIds.dataSync());
    const keptMask = Array.from(cut.inputs.rationaleMask.dataSync());
    expect(tok.decode(keptIds.filter((_, i) => keptMask[i] === 1))).toBe('answer is 5');
    tf.dispose([inputs.inputIds, inputs.attentionMask, inputs.rationaleMask, cut.inputs.inputIds, cut.inputs.attentionMask, cut.inputs.rationaleMask]);
  });

  it('learns a separable set with the power loss: the loss falls and unseen positives score above negatives', async () => {
    const ranker = new AscRanker({ ...tinyConfig, vocabSize: tok.vocabSize }, 3);
    const { triples } = rankingTriples(rows, { maxPerQuestion: 4, seed: 2 });
    const losses: number[] = [];
    const ctx = { metric: (n: string, v: number) => void (n === 'loss' && losses.push(v)) };
    await trainRanker(ranker, tok, triples, { steps: 40, batch: 8, lr: 3e-3, weightDecay: 0, power: 3, maxLength: 64, seed: 1, ctx });
    expect(losses.at(-1)!).toBeLessThan(losses[0]! / 2);
    const unseen = rankingTriples(constructed(6, 100), { maxPerQuestion: 4, seed: 3 }).triples;
    const q = unseen.map((t) => t.question);
    const pos = scoreRationales(ranker, tok, q, unseen.map((t) => t.positive), { maxLength: 64, batch: 8 });
    const neg = scoreRationales(ranker, tok, q, unseen.map((t) => t.negative), { maxLength: 64, batch: 8 });
    pos.forEach((s, i) => expect(s!).toBeGreaterThan(neg[i]!));

    // Saved and loaded, it gives the same scores.
    const dir = join(root, 'saved');
    await saveAscRanker(dir, ranker, { maxLength: 64 });
    const loaded = await loadAscRanker(dir);
    expect(loaded.extra).toEqual({ maxLength: 64 });
    const again = scoreRationales(loaded.ranker, tok, q, unseen.map((t) => t.positive), { maxLength: 64, batch: 8 });
    again.forEach((s, i) => expect(s!).toBeCloseTo(pos[i]!, 6));
    ranker.dispose();
    loaded.ranker.dispose();
  });

  it('a rationale with no room left after the question cannot be scored', () => {
    const ranker = new AscRanker({ ...tinyConfig, vocabSize: tok.vocabSize }, 3);
    // longest_first cuts the longer text to balance, so only a cap of 3 ([CLS] [SEP] [SEP]) leaves none.
    const s = scoreRationales(ranker, tok, ['how many apples', 'how'], ['the answer is 5', 'the answer is 5'], { maxLength: 3, batch: 8 });
    expect(s).toEqual([null, null]);
    ranker.dispose();
  });

  it('refuses a folder that is not a ranker', async () => {
    mkdirSync(join(root, 'empty'), { recursive: true });
    await expect(loadAscRanker(join(root, 'empty'))).rejects.toThrow(/no ranker\.json \(not an asc-ranker output\)/);
  });
});

describe('the asc-ranker stage', () => {
  const samplesDir = join(root, 'samples');
  const write = (rows: LabelledSample[]) => {
    mkdirSync(samplesDir, { recursive: true });
    writeFileSync(join(samplesDir, 'samples.jsonl'), rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
  };
  const tiny = { steps: 30, batch: 8, lr: 3e-3, hiddenSize: 16, numLayers: 1,
    intermediateSize: 32, dropout: 0, vocabSize: 200, maxLength: 64, heldOutFraction: 0.25 };

  it('trains, holds out questions, reports its counts and saves a ranker that loads', async () => {
    write([...constructed(16), sample('only-neg', 0, false, 'a guess. The answer is 1.')]);
    const run = await runPlugin(ascRanker, join(root, 'stage'), tiny, { samples: samplesDir });
    expect(run.metrics['ranker/questions_without_positive']).toBe(1);
    expect(run.metrics['ranker/questions']).toBeLessThan(17);
    expect(run.metrics['ranker/triples']).toBe(4 * run.metrics['ranker/questions']!);
    expect(run.metrics['ranker/heldout_pair_accuracy']).toBeGreaterThanOrEqual(0.75);
    expect(Number.isFinite(run.metrics['ranker/final_loss'])).toBe(true);
    const out = join(root, 'stage', 'ranker');
    const { ranker } = await loadAscRanker(out);
    const tok = await loadTokenizer(join(out, 'tokenizer.json'));
    expect(tok.vocabSize).toBe(ranker.encoder.config.vocabSize);
    expect(JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8')).triples).toBe(run.metrics['ranker/triples']);
    ranker.dispose();
  });

  it('fails with the counts when no question has both a positive and a negative', async () => {
    write([sample('a', 0, true, 'fine. The answer is 5.'), sample('b', 0, false, 'no. The answer is 2.')]);
    await expect(runPlugin(ascRanker, join(root, 'none'), { ...tiny, heldOutFraction: 0 }, { samples: samplesDir })).rejects.toThrow(
      /no \(question, positive, negative\) triple: 2 samples, 1 training questions without a positive, 1 without a negative/,
    );
  });
});
