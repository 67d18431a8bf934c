// A passage corpus as LLaRA reads it: an in-domain BEIR set (passages linked to their document and
// to the next passage of it; train and test queries) and an optional held-out, zero-shot BEIR set,
// written as
//
//   <dir>/corpus.jsonl, queries.jsonl, qrels/<split>.tsv     the in-domain set
//   <dir>/zero-shot/…                                        the held-out set, same layout
//   <dir>/corpus-info.json                                   counts, and whether `next` links exist
//
// `corpus-info.json` says `hasNextPassages: false` for a corpus without a single `next` link, so
// a next-passage objective can be turned off with a clear message instead of training on nothing.

import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DataError } from '../../data/errors.js';
import { CORPUS_FILE, readBeirFolder, writeBeirFolder, type BeirDataset } from '../beir.js';

export const INFO_FILE = 'corpus-info.json';
export const ZERO_SHOT_DIR = 'zero-shot';

export interface PassageCorpus {
  /** Where it came from: `generated`, `tasks` or `beir-folder`. */
  source: string;
  inDomain: BeirDataset;
  zeroShot?: BeirDataset;
  /** What the build skipped or decided, by name (e.g. `skippedEmptyPassages`): for logs and metrics. */
  counts: Record<string, number>;
  zeroShotCounts?: Record<string, number>;
}

export interface SetInfo {
  passages: number;
  documents: number;
  nextLinks: number;
  hasNextPassages: boolean;
  /** Queries judged in each split. */
  queries: Record<string, number>;
  judgments: Record<string, number>;
  counts: Record<string, number>;
}

export interface CorpusInfo {
  source: string;
  inDomain: SetInfo;
  /** The held-out set's folder (relative) and counts; absent when there is none. */
  zeroShot?: SetInfo & { dir: string };
}

/** Counts of one set; a passage without `doc` counts as a document of its own. */
export function describeSet(data: BeirDataset, counts: Record<string, number> = {}): SetInfo {
  const documents = new Set<string>();
  let nextLinks = 0;
  for (const p of data.corpus.values()) {
    documents.add(p.doc ?? `\u0000${p.id}`);
    if (p.next !== undefined) nextLinks++;
  }
  const queries: Record<string, number> = {};
  const judgments: Record<string, number> = {};
  for (const [split, qrels] of data.qrels) {
    queries[split] = qrels.size;
    judgments[split] = [...qrels.values()].reduce((n, judged) => n + judged.size, 0);
  }
  return { passages: data.corpus.size, documents: documents.size, nextLinks, hasNextPassages: nextLinks > 0, queries, judgments, counts: { ...counts } };
}

export function describeCorpus(corpus: PassageCorpus): CorpusInfo {
  const info: CorpusInfo = { source: corpus.source, inDomain: describeSet(corpus.inDomain, corpus.counts) };
  if (corpus.zeroShot) info.zeroShot = { dir: ZERO_SHOT_DIR, ...describeSet(corpus.zeroShot, corpus.zeroShotCounts) };
  return info;
}

/** Writes the corpus (the same corpus gives byte-identical files) and returns what corpus-info.json says. */
export async function writePassageCorpus(dir: string, corpus: PassageCorpus): Promise<CorpusInfo> {
  await writeBeirFolder(dir, corpus.inDomain);
  if (corpus.zeroShot) await writeBeirFolder(join(dir, ZERO_SHOT_DIR), corpus.zeroShot);
  const info = describeCorpus(corpus);
  await writeFile(join(dir, INFO_FILE), JSON.stringify(info, null, 2) + '\n');
  return info;
}

export interface ReadPassageCorpus {
  inDomain: BeirDataset;
  zeroShot?: BeirDataset;
  info: CorpusInfo;
}

/**
 * Reads what `writePassageCorpus` wrote: both sets and corpus-info.json. A plain BEIR folder (no
 * corpus-info.json) reads too, its info counted from the files, with source `beir-folder`.
 */
export async function readPassageCorpus(dir: string): Promise<ReadPassageCorpus> {
  const inDomain = await readBeirFolder(dir);
  const zeroShotDir = join(dir, ZERO_SHOT_DIR);
  const zeroShot = existsSync(join(zeroShotDir, CORPUS_FILE)) ? await readBeirFolder(zeroShotDir) : undefined;
  const infoFile = join(dir, INFO_FILE);
  if (!existsSync(infoFile)) return { inDomain, zeroShot, info: describeCorpus({ source: 'beir-folder', inDomain, zeroShot, counts: {}, zeroShotCounts: zeroShot ? {} : undefined }) };
  let info: CorpusInfo;
  try {
    info = JSON.parse(await readFile(infoFile, 'utf8')) as CorpusInfo;
  } catch (e) {
    throw new DataError(infoFile, 0, `not valid JSON: ${(e as Error).message}`);
  }
  if (typeof info?.inDomain?.hasNextPassages !== 'boolean') throw new DataError(infoFile, 0, 'expected {"inDomain": {"hasNextPassages": true|false, …}, …}');
  return { inDomain, zeroShot, info };
}

/** Links `passages` (one document's, in order) into a chain: each one's `next` is the one after. */
export function linkChain<T extends { id: string; next?: string }>(passages: readonly T[]): void {
  for (let i = 0; i + 1 < passages.length; i++) passages[i]!.next = passages[i + 1]!.id;
}
