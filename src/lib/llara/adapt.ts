// LLaRA's adaptation on unlabeled passages: EBAE (the passage's own tokens) and EBAR (the next
// passage's tokens) from one joint pass per batch, plus the AR loss on the text (objective.ts).
// Passages with nothing left to predict are skipped and counted; a corpus without next-passage
// links turns EBAR off with a warning rather than training it on empty targets.

import { SeedStream } from '../nn/layers/dropout.js';
import { BatchSampler, train, warmupDecayTraining, type TrainContext, type WarmupDecaySettings } from '../nn/train/index.js';
import type { Tokenizer } from '../nn/tokenizer/tokenizer.js';
import { jointBatch } from './batch.js';
import { padIdOf } from './embed.js';
import { jointObjective } from './objective.js';
import { noNextMessage, type Passage } from './passages.js';
import { LlaraError, promptIds, textBudget, type PromptForm } from './prompts.js';
import { preparePassages } from './targets.js';
import type { CausalDecoder } from './vocab.js';

export interface AdaptSettings extends WarmupDecaySettings {
  batchSize: number;
  maxLength: number;
  ebae: boolean;
  ebar: boolean;
  form: PromptForm;
  stopWords: boolean;
}

export interface AdaptReport {
  lastLoss: number;
  passages: number;
  skippedEmpty: number;
  withoutNext: number;
  /** EBAR as trained (false when the corpus had no next-passage links). */
  ebar: boolean;
}

/** Trains `model.parameters()` in place; `tok` must already hold LLaRA's tokens. */
export async function adaptModel(model: CausalDecoder, tok: Tokenizer, passages: readonly Passage[],
  s: AdaptSettings, ctx: TrainContext & { source?: string } = {}): Promise<AdaptReport> {
  let ebar = s.ebar;
  if (ebar && !passages.some((p) => p.next !== undefined)) {
    ctx.log?.warn(`EBAR disabled: ${noNextMessage(ctx.source ?? 'the corpus')}`);
    ebar = false;
  }
  if (!s.ebae && !ebar) throw new LlaraError(s.ebar ? `nothing to train: ebae is off and ${noNextMessage(ctx.source ?? 'the corpus')}` : 'nothing to train: both ebae and ebar are off');
  const p = promptIds(tok, s.form);
  const budget = textBudget(p, s.maxLength, true);
  const prepared = preparePassages(tok, passages, { stopWords: s.stopWords, budget, ignoreIds: p.ignoreIds });
  const rows = prepared.rows;
  if (rows.length === 0) throw new LlaraError(`no passage has anything left to predict (${prepared.skippedEmpty} empty after ${s.stopWords ? 'stop-word removal' : 'tokenization'})`);
  const padId = padIdOf(tok);
  const objective = { ebae: s.ebae, ebar, ar: s.form === 'llara' };
  const sampler = new BatchSampler({ sources: rows.length, batchSize: Math.min(s.batchSize, rows.length), seed: s.seed });
  const result = await train({
    parameters: () => model.parameters(),
    sampler,
    ...warmupDecayTraining(s, ctx, 'adapt/'),
    makeBatch: (refs) => {
      const picked = refs.map((r) => rows[r.index]!); // the sampler draws from 0..rows.length
      return { batch: jointBatch(picked.map((r) => r.input), p, padId), targets: { ebae: picked.map((r) => r.ebae), ebar: picked.map((r) => r.ebar) } };
    },
    loss: (b, info) => jointObjective(model, b.batch, b.targets, p, objective, { training: true, rng: new SeedStream(info.seed) }).total,
  });
  return { lastLoss: result.lastLoss, passages: rows.length, skippedEmpty: prepared.skippedEmpty, withoutNext: prepared.withoutNext, ebar };
}
