// A passage corpus from a user's BEIR folder (and optionally a second one as the zero-shot set).
//
// Passages keep their text as given, with the `doc` and `next` fields the folder has. A passage
// whose title and text are both blank is skipped and counted; a `next` that named it moves on to
// the passage after it, so a chain stays a chain; judgments of skipped passages are dropped, and
// a query left without any judgment in a split leaves that split (both counted). A query whose
// text is blank is skipped and counted the same way. A folder without `next` fields is passed on
// as it is: corpus-info.json then says `hasNextPassages: false`.

import type { BeirDataset, BeirDocument, BeirQrels } from '../beir.js';
import type { PassageCorpus } from './corpus.js';
import { cleanText } from './sentences.js';

export function passageCorpusFromBeir(inDomain: BeirDataset, zeroShot?: BeirDataset): PassageCorpus {
  const counts: Record<string, number> = {};
  const corpus: PassageCorpus = { source: 'beir-folder', inDomain: dropEmpty(inDomain, counts), counts };
  if (zeroShot) {
    corpus.zeroShotCounts = {};
    corpus.zeroShot = dropEmpty(zeroShot, corpus.zeroShotCounts);
  }
  return corpus;
}

/** The set without blank passages and queries; `counts` receives what was skipped. */
export function dropEmpty(set: BeirDataset, counts: Record<string, number>): BeirDataset {
  const blank = (p: BeirDocument) => cleanText(`${p.title} ${p.text}`) === '';
  const corpus = new Map<string, BeirDocument>();
  for (const [id, p] of set.corpus) if (!blank(p)) corpus.set(id, { ...p });
  counts.skippedEmptyPassages = set.corpus.size - corpus.size;
  for (const p of corpus.values()) {
    // Step over skipped passages; a cycle of them ends the chain (the reader refuses self-links only).
    const seen = new Set<string>();
    let next = p.next;
    while (next !== undefined && !corpus.has(next) && !seen.has(next)) {
      seen.add(next);
      next = set.corpus.get(next)?.next;
    }
    if (next !== undefined && corpus.has(next) && next !== p.id) p.next = next;
    else delete p.next;
  }
  const queries = new Map([...set.queries].filter(([, q]) => cleanText(q.text) !== ''));
  counts.skippedEmptyQueries = set.queries.size - queries.size;
  counts.droppedJudgments = 0;
  counts.queriesWithoutJudgments = 0;
  const qrels = new Map<string, BeirQrels>();
  for (const [split, splitQrels] of set.qrels) {
    const out: BeirQrels = new Map();
    for (const [query, judged] of splitQrels) {
      if (!queries.has(query)) continue;
      const left = new Map([...judged].filter(([id]) => corpus.has(id)));
      counts.droppedJudgments += judged.size - left.size;
      if (left.size === 0) counts.queriesWithoutJudgments++;
      else out.set(query, left);
    }
    qrels.set(split, out);
  }
  return { corpus, queries, qrels };
}
