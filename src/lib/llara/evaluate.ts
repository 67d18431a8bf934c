// Retrieval evaluation through the vector index: the whole corpus embedded once, every judged
// query searched for its top `depth`, the run scored with nDCG/MRR/Recall (trec_eval conventions).

import { ExactIndex } from '../nn/index/exact.js';
import type { BeirDataset, BeirQrels } from '../retrieval/beir.js';
import { evaluateRun, type Evaluation, type Measure } from '../retrieval/metrics.js';
import { passageText } from './passages.js';

/** Texts → unit-norm embeddings [n·d] for one side. */
export type EmbedFn = (texts: readonly string[], side: 'query' | 'passage') => Float32Array;

export function evaluateRetrieval(embed: EmbedFn, dim: number, data: BeirDataset, qrels: BeirQrels, measures: readonly Measure[], depth: number): Evaluation {
  const docs = [...data.corpus.values()];
  const index = new ExactIndex({ metric: 'cosine', dim });
  try {
    index.add(embed(docs.map(passageText), 'passage'), docs.map((d) => d.id));
    const queryIds = [...qrels.keys()];
    const hits = index.search(embed(queryIds.map((id) => data.queries.get(id)!.text), 'query'), Math.min(depth, docs.length));
    // One hit list per query, one score per hit.
    const run = new Map(queryIds.map((id, i) => {
      const hit = hits[i]!;
      return [id, new Map(Array.from(hit.rows, (row, r) => [index.idOf(row), hit.scores[r]!]))];
    }));
    return evaluateRun(qrels, run, measures);
  } finally {
    index.dispose();
  }
}
