// The reward model's loss: groups from groups.ts, laid out as pairs, reshaped to [B, G] and fed
// to the group cross-entropy, against hand-computed values.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  encodeGroups, encodePairs, groupLogits, rankingAccuracy, rewardLoss, rewardQueryText, scorePairs, type RewardGroup,
} from '../../src/lib/llmr/cross-encoder.js';
import { groupForStep, toPositiveNegative } from '../../src/lib/llmr/groups.js';
import { initBackend } from '../../src/lib/nn/backend.js';
import { CrossEncoder } from '../../src/lib/nn/heads.js';
import { groupCrossEntropy } from '../../src/lib/nn/losses.js';
import { trainWordPiece } from '../../src/lib/nn/tokenizer/core.js';

beforeAll(async () => {
  await initBackend();
});

describe('reward loss', () => {
  it('matches the hand-computed cross-entropy of a group built by groups.ts', () => {
    // 20 candidates c0 (best) … c19 (worst); positives = top 3, negatives = bottom 16.
    const query = { id: 'q', candidates: Array.from({ length: 20 }, (_, i) => ({ id: `c${i}`, score: -i })) };
    const example = toPositiveNegative(query, { topkAsPositive: 3, bottomkAsNegative: 16, seed: 7 });
    const group = groupForStep(example, { groupSize: 8, epoch: 0, seed: 7, pool: query.candidates.map((c) => c.id) });
    expect(group.ids).toHaveLength(8);
    expect(['c0', 'c1', 'c2']).toContain(group.ids[0]);
    for (const id of group.ids.slice(1)) expect(Number(id.slice(1))).toBeGreaterThanOrEqual(4);
    // The model gives the positive logit 2 and every negative 0:
    //   L = −log(e² / (e² + 7)) = log(1 + 7 e^−2)
    const logits = tf.tensor2d([group.ids.map((id) => (id === group.ids[0] ? 2 : 0))]);
    const loss = groupCrossEntropy(logits, 0);
    expect(loss.dataSync()[0]).toBeCloseTo(Math.log(1 + 7 * Math.exp(-2)), 5);
    // Two groups: the mean of the rows. Row 2 gives the positive 0 and one negative ln 3:
    //   L₂ = −log(1 / (1 + 3 + 6)) = log 10
    const two = tf.tensor2d([[2, 0, 0, 0, 0, 0, 0, 0], [0, Math.log(3), 0, 0, 0, 0, 0, 0]]);
    expect(groupCrossEntropy(two, 0).dataSync()[0]).toBeCloseTo((Math.log(1 + 7 * Math.exp(-2)) + Math.log(10)) / 2, 5);
    tf.dispose([logits, loss, two]);
  });

  it('lays pairs out as row j·G + i and reshapes them into [B, G] groups, positive first', async () => {
    const tok = trainWordPiece(['the cat sat on the mat', 'a dog ran in the park', 'birds sing at dawn'], { vocabSize: 80 });
    const model = new CrossEncoder({ vocabSize: tok.vocabSize, hiddenSize: 16, embeddingSize: 16, numLayers: 1,
      numHeads: 2, intermediateSize: 32, maxPositions: 32 }, 3);
    const groups: RewardGroup[] = [
      { a: rewardQueryText('the cat', 'sat', true), candidates: ['on the mat', 'a dog', 'birds sing'] },
      { a: rewardQueryText('a dog', 'ran', true), candidates: ['in the park', 'at dawn', 'the cat sat'] },
    ];
    // Each pair scored alone (evaluation mode: no dropout).
    const single: number[][] = [];
    for (const g of groups) single.push(Array.from(await scorePairs(model, tok, g.candidates.map(() => g.a), g.candidates, { maxLength: 32, batchSize: 1 })));
    const batch = encodeGroups(tok, groups, 32);
    const logits = groupLogits(model, batch);
    expect(logits.shape).toEqual([2, 3]);
    const got = logits.arraySync();
    for (let j = 0; j < 2; j++) for (let i = 0; i < 3; i++) expect(got[j]![i]).toBeCloseTo(single[j]![i]!, 4);
    const expected = single.reduce((s, row) => s - (row[0]! - Math.log(row.reduce((z, v) => z + Math.exp(v), 0))), 0) / 2;
    const loss = rewardLoss(model, batch);
    expect(loss.dataSync()[0]).toBeCloseTo(expected, 4);
    tf.dispose([logits, loss, batch.inputIds, batch.attentionMask, batch.tokenTypeIds]);
    model.dispose();
  });

  it('cuts a long pair from the start of each text, so both answers stay right before their [SEP]', () => {
    const words = 'alpha beta gamma delta epsilon zeta eta theta iota kappa lambda'.split(' ');
    const tok = trainWordPiece(Array.from({ length: 20 }, () => `${words.join(' ')} yes maybe`), { vocabSize: 120 });
    const a = `${words.join(' ')}\nyes`; // the gold answer last
    const b = `${words.slice().reverse().join(' ')}\nmaybe`; // the candidate's answer last
    const plain = (t: string) => tok.encode(t, { truncation: false, addSpecialTokens: false }).ids;
    const [aIds, bIds] = [plain(a), plain(b)];
    expect(aIds.length + bIds.length + 3).toBeGreaterThan(12);
    const ids = encodePairs(tok, [a], [b], 12).inputIds.arraySync()[0] as number[];
    const [cls, sep] = [tok.tokenToId('[CLS]'), tok.tokenToId('[SEP]')];
    expect(ids).toHaveLength(12);
    expect(ids[0]).toBe(cls);
    expect(ids[ids.length - 1]).toBe(sep);
    const firstSep = ids.indexOf(sep!);
    const keptA = ids.slice(1, firstSep);
    const keptB = ids.slice(firstSep + 1, -1);
    // What is kept of each text is its end: the answer and the words before it.
    expect(keptA).toEqual(aIds.slice(-keptA.length));
    expect(keptB).toEqual(bIds.slice(-keptB.length));
    expect(keptA.length).toBeLessThan(aIds.length);
    expect(keptB.length).toBeLessThan(bIds.length);
  });

  it('text A is x and y joined by a newline, or x alone without the label', () => {
    expect(rewardQueryText('Review: fine', 'positive', true)).toBe('Review: fine\npositive');
    expect(rewardQueryText('Review: fine', 'positive', false)).toBe('Review: fine');
  });

  it('counts a group as ranked right only when its positive beats every negative', () => {
    const r = rankingAccuracy([[3, 1, 2], [1, 2, 0], [1, 1, 0]]);
    expect(r.groupAccuracy).toBeCloseTo(1 / 3);
    // Pairs: (3>1, 3>2) (1<2, 1>0) (tie ½, 1>0) → 4.5 of 6.
    expect(r.pairwiseAccuracy).toBeCloseTo(4.5 / 6);
    expect(r.groups).toBe(3);
  });
});
