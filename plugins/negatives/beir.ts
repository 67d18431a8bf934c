// Mining input from BEIR data sets: the queries of one qrels split, their relevant documents
// (grade ≥ 1, best grade first) as positives, and BM25's top documents of the corpus as the
// ranked, scored candidates. Every positive carries its BM25 score, retrieved or not.

import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { NodeFailure } from '../../src/plugin/api.js';
import { Bm25Index } from '../../src/lib/ml/bm25.js';
import { CORPUS_FILE, QRELS_DIR, readBeirFolder, type BeirDataset } from '../../src/lib/retrieval/beir.js';
import type { MiningContext, MiningQuery } from '../../src/lib/negatives/types.js';

export interface BeirUnit {
  name: string;
  queries: MiningQuery[];
  skipped: number;
  context: MiningContext;
  /** The qrels file, for located errors. */
  file: string;
}

/** `dir` itself when it holds corpus.jsonl, else its sub-folders that do (the beir stage's output). */
export function beirFolders(dir: string): string[] {
  if (!existsSync(dir)) throw new NodeFailure(`${dir}: not found`);
  if (existsSync(join(dir, CORPUS_FILE))) return [dir];
  const subs = readdirSync(dir).map((n) => join(dir, n)).filter((d) => statSync(d).isDirectory() && existsSync(join(d, CORPUS_FILE))).sort();
  if (subs.length === 0) throw new NodeFailure(`${dir}: neither a BEIR folder (no ${CORPUS_FILE}) nor a folder of BEIR folders`);
  return subs;
}

export async function beirUnits(dir: string, split: string, depth: number, only: readonly string[] | undefined): Promise<BeirUnit[]> {
  const units: BeirUnit[] = [];
  for (const folder of beirFolders(dir)) {
    const name = basename(folder);
    if (only && !only.includes(name)) continue;
    const data = await readBeirFolder(folder, { splits: [split] });
    units.push({ name, ...bm25Queries(data, split, depth), file: join(folder, QRELS_DIR, `${split}.tsv`) });
  }
  if (units.length === 0) throw new NodeFailure(`${dir}: no BEIR set${only ? ` named ${only.join(', ')}` : ''}`);
  return units;
}

function bm25Queries(data: BeirDataset, split: string, depth: number): { queries: MiningQuery[]; skipped: number; context: MiningContext } {
  const docs = [...data.corpus.values()];
  const bm25 = Bm25Index.build(docs.map((d) => (d.title ? `${d.title} ${d.text}` : d.text)));
  const rowOf = new Map(docs.map((d, i) => [d.id, i]));
  const queries: MiningQuery[] = [];
  let skipped = 0;
  for (const [queryId, judged] of data.qrels.get(split)!) {
    const relevant = [...judged].filter(([, g]) => g >= 1).sort((a, b) => b[1] - a[1]);
    if (relevant.length === 0) {
      skipped++;
      continue;
    }
    // A hit is an index of the docs.
    const candidates = bm25.search(data.queries.get(queryId)!.text, depth).map((h) => ({ id: docs[h.doc]!.id, score: h.score }));
    // A positive BM25 did not retrieve still has a BM25 score: computed, so s₊ is always known.
    const positives = relevant.map(([id]) => ({ id, score: bm25.score(data.queries.get(queryId)!.text, rowOf.get(id)!) }));
    queries.push({ queryId, positives, candidates });
  }
  const source = new Map(docs.map((d) => [d.id, typeof d.metadata?.source === 'string' ? d.metadata.source : undefined]));
  const withSource = [...source.values()].some((s) => s !== undefined);
  return { queries, skipped, context: { pool: docs.map((d) => d.id), sourceOf: withSource ? (id) => source.get(id) : undefined } };
}
