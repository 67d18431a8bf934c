// Capping a passage set at a number of documents: documents some query judges come first (a
// seeded sample of them when they alone exceed the cap), then a seeded sample of the others as
// distractors. A document is kept or dropped whole, so `next` links stay intact; a query left
// with no judged passage is dropped from its split and counted.

import { Rng, deriveSeed } from '../../nn/train/rng.js';
import type { BeirDataset, BeirQrels } from '../beir.js';

export function capDocuments(set: BeirDataset, maxDocuments: number, seed: number, counts: Record<string, number>): BeirDataset {
  if (!Number.isInteger(maxDocuments) || maxDocuments < 1) throw new Error(`maxDocuments must be an integer ≥ 1, got ${maxDocuments}`);
  const docOf = (id: string) => set.corpus.get(id)!.doc ?? id;
  const documents = [...new Set([...set.corpus.keys()].map(docOf))];
  if (documents.length <= maxDocuments) return set;
  const judged = new Set<string>();
  for (const qrels of set.qrels.values()) for (const passages of qrels.values()) for (const id of passages.keys()) judged.add(docOf(id));
  const shuffled = (docs: string[], stream: number) => {
    const order = [...docs];
    new Rng(deriveSeed(seed, stream)).shuffle(order);
    return order;
  };
  const ranked = [...shuffled(documents.filter((d) => judged.has(d)), 0), ...shuffled(documents.filter((d) => !judged.has(d)), 1)];
  const kept = new Set(ranked.slice(0, maxDocuments));
  const corpus = new Map([...set.corpus].filter(([id]) => kept.has(docOf(id))));
  const qrels = new Map<string, BeirQrels>();
  const stillAsked = new Set<string>();
  for (const [split, splitQrels] of set.qrels) {
    const out: BeirQrels = new Map();
    for (const [query, passages] of splitQrels) {
      const left = new Map([...passages].filter(([id]) => corpus.has(id)));
      if (left.size === 0) {
        counts.queriesDroppedByDocumentCap = (counts.queriesDroppedByDocumentCap ?? 0) + 1;
        continue;
      }
      out.set(query, left);
      stillAsked.add(query);
    }
    qrels.set(split, out);
  }
  counts.documentsDroppedByCap = documents.length - kept.size;
  const queries = new Map([...set.queries].filter(([id]) => stillAsked.has(id)));
  return { corpus, queries, qrels };
}
