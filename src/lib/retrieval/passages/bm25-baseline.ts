// BM25 over a passage set (title + text), every split's queries scored with trec_eval-style
// measures: the lexical reference row of a retrieval table.

import { Bm25Index } from '../../ml/bm25.js';
import type { BeirDataset } from '../beir.js';
import { evaluateRun, type Measure } from '../metrics.js';

/** split → measure name (`ndcg@10`, …) → mean over the split's queries. */
export function bm25Scores(data: BeirDataset, measures: readonly Measure[], depth = 100): Record<string, Record<string, number>> {
  const passages = [...data.corpus.values()];
  const index = Bm25Index.build(passages.map((p) => (p.title ? `${p.title} ${p.text}` : p.text)));
  const out: Record<string, Record<string, number>> = {};
  for (const [split, qrels] of data.qrels) {
    const run = new Map<string, Map<string, number>>();
    for (const query of qrels.keys()) {
      const hits = index.search(data.queries.get(query)!.text, depth);
      run.set(query, new Map(hits.map((h) => [passages[h.doc]!.id, h.score])));
    }
    out[split] = evaluateRun(qrels, run, measures).mean;
  }
  return out;
}
