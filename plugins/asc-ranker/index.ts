// The `asc-ranker` stage: ASC's ranking model M(x, r) (methods.md §4.3), a small encoder from
// scratch with the residual ELU head and a sigmoid, trained on (question, positive, negative)
// triples of the teacher samples with the power loss (1 − M⁺)^p + (M⁻)^p. A share of the
// questions is held out to measure how often the ranker puts a positive above a negative.

import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { definePlugin, NodeFailure } from '../../src/plugin/api.js';
import { AscRanker, saveAscRanker } from '../../src/lib/nn/asc.js';
import { backendRuntime, initBackend } from '../../src/lib/nn/backend.js';
import { deriveSeed, Rng } from '../../src/lib/nn/train/rng.js';
import { rankingTriples, scoreRationales, trainRanker, trainRankerTokenizer, type RankTriple } from '../../src/lib/reasoning/ranker.js';
import { readSamples, type LabelledSample } from '../../src/lib/reasoning/samples.js';

export default definePlugin({
  id: 'asc-ranker',
  version: '1.0.0',
  description: "ASC's ranking model: a small encoder with a residual ELU head and a sigmoid, trained on (question, positive, negative) teacher samples with the power loss.",
  params: {
    type: 'object',
    additionalProperties: false,
    properties: {
      seed: { type: 'integer', default: 0, description: 'Initial weights, triples, batches, dropout and the held-out split (TDG: 0).' },
      power: { type: 'number', minimum: 1, default: 3, description: 'The loss exponent p (TDG code: 3; 2 is the squared error to the targets 1 and 0).' },
      steps: { type: 'integer', minimum: 0, default: 200, description: 'Optimizer steps.' },
      batch: { type: 'integer', minimum: 1, default: 8, description: 'Triples per step (TDG: one question).' },
      lr: { type: 'number', exclusiveMinimum: 0, default: 0.001, description: 'Peak learning rate, cosine to 2% of it (TDG: 2e-5 for Flan-T5-XL; a small model from scratch needs more).' },
      weightDecay: { type: 'number', minimum: 0, default: 0.00001, description: 'AdamW decay, not on biases and LayerNorm (TDG: 1e-5).' },
      maxLength: { type: 'integer', minimum: 8, default: 160, description: '[CLS] question [SEP] rationale [SEP] in tokens (TDG: 512).' },
      maxPerQuestion: { type: 'integer', minimum: 1, default: 16, description: 'Most positive × negative pairs per question.' },
      heldOutFraction: { type: 'number', minimum: 0, maximum: 0.5, default: 0.1, description: 'Share of the questions kept out of training to measure pair accuracy.' },
      vocabSize: { type: 'integer', minimum: 64, default: 600, description: 'WordPiece vocabulary learnt from the samples.' },
      hiddenSize: { type: 'integer', minimum: 8, default: 64 },
      numLayers: { type: 'integer', minimum: 1, default: 2 },
      numHeads: { type: 'integer', minimum: 1, default: 2 },
      intermediateSize: { type: 'integer', minimum: 8, default: 128 },
      dropout: { type: 'number', minimum: 0, maximum: 0.9, default: 0.1, description: 'Hidden and attention dropout.' },
    },
  },
  inputs: { samples: { description: 'A teacher-samples output (samples.jsonl with labelled rationales).' } },
  outputs: { ranker: { description: 'ranker.json, model.safetensors, tokenizer.json and metrics.json.' } },
  runtime: backendRuntime,
  async run(ctx) {
    const p = ctx.params;
    const backend = await initBackend();
    ctx.log.info(backend.summary);
    const samples = await readSamples(join(ctx.inputs.samples, 'samples.jsonl'));
    const { train, heldOut } = splitQuestions(samples, p.heldOutFraction, p.seed);
    const set = rankingTriples(train, { maxPerQuestion: p.maxPerQuestion, seed: p.seed });
    const held = rankingTriples(heldOut, { maxPerQuestion: p.maxPerQuestion, seed: p.seed + 1 });
    ctx.metric('ranker/triples', set.triples.length);
    ctx.metric('ranker/questions', set.questions);
    ctx.metric('ranker/questions_without_positive', set.withoutPositive + held.withoutPositive);
    ctx.metric('ranker/questions_without_negative', set.withoutNegative + held.withoutNegative);
    if (set.withoutPositive + set.withoutNegative > 0) {
      ctx.log.warn(`${set.withoutPositive} training questions have no positive and ${set.withoutNegative} no negative sample: they give no triple`);
    }
    if (set.triples.length === 0) {
      throw new NodeFailure(`no (question, positive, negative) triple: ${samples.length} samples, ${set.withoutPositive} training questions without a positive, ${set.withoutNegative} without a negative`);
    }

    const tok = trainRankerTokenizer([...new Set(samples.map((s) => s.question)), ...samples.map((s) => s.text)], p.vocabSize);
    const ranker = new AscRanker(
      {
        vocabSize: tok.vocabSize, hiddenSize: p.hiddenSize, numLayers: p.numLayers, numHeads: p.numHeads, intermediateSize: p.intermediateSize,
        maxPositions: p.maxLength, hiddenDropout: p.dropout, attentionDropout: p.dropout, padTokenId: tok.tokenToId('[PAD]') ?? 0,
      },
      p.seed,
    );
    try {
      const loss = await trainRanker(ranker, tok, set.triples, {
        steps: p.steps, batch: p.batch, lr: p.lr, weightDecay: p.weightDecay, power: p.power, maxLength: p.maxLength, seed: p.seed,
        ctx: { metric: (n, v, s) => ctx.metric(`ranker/${n}`, v, s), progress: ctx.progress, log: ctx.log, signal: ctx.signal },
      });
      ctx.metric('ranker/final_loss', loss);
      const metrics: Record<string, number> = { triples: set.triples.length, finalLoss: loss };
      if (held.triples.length > 0) {
        const acc = pairAccuracy(ranker, tok, held.triples, p.maxLength);
        ctx.metric('ranker/heldout_pair_accuracy', acc);
        metrics.heldOutPairAccuracy = acc;
        metrics.heldOutTriples = held.triples.length;
        ctx.log.info(`held out: the positive scores above the negative in ${(100 * acc).toFixed(1)}% of ${held.triples.length} pairs`);
      }
      const out = ctx.output('ranker');
      await saveAscRanker(out, ranker, { maxLength: p.maxLength, power: p.power });
      await writeFile(join(out, 'tokenizer.json'), JSON.stringify(tok.toJSON()));
      await writeFile(join(out, 'metrics.json'), JSON.stringify(metrics, null, 2) + '\n');
      ctx.log.info(`ranker: ${ranker.size()} weights, vocabulary ${tok.vocabSize}, trained on ${set.triples.length} triples of ${set.questions} questions`);
    } finally {
      ranker.dispose();
    }
  },
});

/** Questions (by id) split into training and held-out ones, seeded; the held-out share is rounded down. */
function splitQuestions(samples: LabelledSample[], fraction: number, seed: number): { train: LabelledSample[]; heldOut: LabelledSample[] } {
  const ids = [...new Set(samples.map((s) => s.id))];
  const rng = new Rng(deriveSeed(seed, 0x68656c64));
  for (let i = ids.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [ids[i], ids[j]] = [ids[j]!, ids[i]!]; // j ≤ i < ids.length
  }
  const held = new Set(ids.slice(0, Math.floor(fraction * ids.length)));
  return { train: samples.filter((s) => !held.has(s.id)), heldOut: samples.filter((s) => held.has(s.id)) };
}

/** The share of triples whose positive scores above its negative. */
function pairAccuracy(ranker: AscRanker, tok: Parameters<typeof scoreRationales>[1], triples: RankTriple[], maxLength: number): number {
  const q = triples.map((t) => t.question);
  const pos = scoreRationales(ranker, tok, q, triples.map((t) => t.positive), { maxLength, batch: 32 });
  const neg = scoreRationales(ranker, tok, q, triples.map((t) => t.negative), { maxLength, batch: 32 });
  return pos.filter((s, i) => s !== null && neg[i] !== null && s > (neg[i] as number)).length / triples.length;
}
