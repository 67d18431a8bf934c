// Retrieval fine-tuning (methods.md §5.2, §3.3): queries through the EBAR prompt, passages through
// the EBAE prompt (or both as text + end-of-text for last-token pooling), unit-norm embeddings,
//
//   q [B, d], k [B·G, d]  (group j: its positive, then G−1 hard negatives)
//   L = InfoNCE over the batch's B·G passages (or the own group), scores cos/τ
//
// The groups come from the negatives stage (BM25 rank window etc.) or are mined here from the
// model's own ranking over the vector index ("ANN negatives"): ranks [start, end) that are not
// judged relevant.

import { SeedStream } from '../nn/layers/dropout.js';
import { ExactIndex } from '../nn/index/exact.js';
import { BatchSampler, train, warmupDecayTraining, type TrainContext, type WarmupDecaySettings } from '../nn/train/index.js';
import { contrastiveLoss, type NegativesScope } from '../negatives/losses.js';
import type { BeirDataset, BeirQrels } from '../retrieval/beir.js';
import { groupAt, type TrainingGroup } from '../retrieval/dense.js';
import { embedMany, embedTexts, type Embedder } from './embed.js';
import { passageText } from './passages.js';
import { LlaraError } from './prompts.js';

export interface FinetuneSettings extends WarmupDecaySettings {
  batchSize: number;
  groupSize: number;
  temperature: number;
  negatives: NegativesScope;
}

export async function finetuneRetrieval(m: Embedder, data: BeirDataset, groups: readonly TrainingGroup[],
  s: FinetuneSettings, ctx: TrainContext = {}): Promise<{ lastLoss: number }> {
  if (groups.length === 0) throw new LlaraError('no training group (queries with a positive and a negative)');
  const text = (id: string) => passageText(data.corpus.get(id)!);
  const sampler = new BatchSampler({ sources: groups.length, batchSize: Math.min(s.batchSize, groups.length), seed: s.seed });
  const result = await train<{ queries: string[]; docs: string[] }>({
    parameters: () => m.model.parameters(),
    sampler,
    ...warmupDecayTraining(s, ctx, 'finetune/'),
    makeBatch: (refs, info) => {
      const queries: string[] = [];
      const docs: string[] = [];
      refs.forEach((ref, i) => {
        const g = groups[ref.index]!; // the sampler draws from 0..groups.length
        const epoch = Math.floor((info.step * s.batchSize + i) / groups.length);
        queries.push(data.queries.get(g.queryId)!.text);
        docs.push(...groupAt(g, epoch, s.groupSize).ids.map(text));
      });
      return { queries, docs };
    },
    loss: (b, info) => {
      const mode = { training: true, rng: new SeedStream(info.seed) };
      const q = embedTexts(m, b.queries, 'query', mode); // [B, d]
      const k = embedTexts(m, b.docs, 'passage', mode);  // [B·G, d]
      return contrastiveLoss(q, k, { temperature: s.temperature, negatives: s.negatives });
    },
  });
  return { lastLoss: result.lastLoss };
}

/** Negatives from the model's own ranking: for each judged query, unjudged documents at ranks [start, end). */
export function mineWithModel(m: Embedder, data: BeirDataset, qrels: BeirQrels, window: { start: number; end: number }, batchSize = 32): TrainingGroup[] {
  const docs = [...data.corpus.values()];
  const index = new ExactIndex({ metric: 'cosine', dim: m.model.config.hiddenSize });
  try {
    index.add(embedMany(m, docs.map(passageText), 'passage', batchSize), docs.map((d) => d.id));
    const queryIds = [...qrels.keys()];
    const hits = index.search(embedMany(m, queryIds.map((id) => data.queries.get(id)!.text), 'query', batchSize), Math.min(window.end, docs.length));
    const groups: TrainingGroup[] = [];
    queryIds.forEach((id, i) => {
      const judged = qrels.get(id)!;
      const positives = [...judged].filter(([, g]) => g >= 1).map(([d]) => d);
      const ranked = Array.from(hits[i]!.rows, (row) => index.idOf(row)); // one hit list per query
      const negatives = ranked.slice(window.start).filter((d) => !judged.has(d));
      if (positives.length > 0 && negatives.length > 0) groups.push({ queryId: id, positives, negatives });
    });
    return groups;
  } finally {
    index.dispose();
  }
}
