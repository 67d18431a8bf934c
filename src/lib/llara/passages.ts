// Unlabeled passages for the adaptation, read from a BEIR folder's corpus.jsonl, with their
// next-passage links: a document's `next` field (or `metadata.next`) names the id of the passage
// that follows it in the same source document. The EBAE target is the passage itself, the EBAR
// target the next passage. A corpus with no `next` at all has no next-passage structure, and EBAR
// cannot be trained on it.

import { join } from 'node:path';
import { DataError } from '../data/errors.js';
import { readJsonLines } from '../data/jsonl.js';
import { CORPUS_FILE, readBeirFolder, type BeirDataset } from '../retrieval/beir.js';
import { LlaraError } from './prompts.js';

export interface Passage {
  id: string;
  text: string;
  /** The following passage's id, when the corpus says. */
  next?: string;
}

export function passageText(d: { title: string; text: string }): string {
  return d.title ? `${d.title} ${d.text}` : d.text;
}

/** id → next id, from corpus.jsonl; a `next` naming no document of the corpus is a located error. */
export async function readNextLinks(dir: string, corpusIds: ReadonlySet<string>): Promise<Map<string, string>> {
  const file = join(dir, CORPUS_FILE);
  const out = new Map<string, string>();
  for await (const { value, line } of readJsonLines(file)) {
    const o = value as { _id?: unknown; next?: unknown; metadata?: { next?: unknown } };
    const next = o.next ?? o.metadata?.next;
    if (next === undefined || next === null || next === '') continue;
    if (typeof next !== 'string') throw new DataError(file, line, `"next" must be the id of a passage, got ${JSON.stringify(next)}`);
    if (!corpusIds.has(next)) throw new DataError(file, line, `"next" names passage "${next}", which is not in the corpus`);
    out.set(String(o._id), next);
  }
  return out;
}

export interface PassageCorpus {
  data: BeirDataset;
  passages: Passage[];
  /** How many passages have a next passage. */
  linked: number;
}

export async function readPassageCorpus(dir: string): Promise<PassageCorpus> {
  const data = await readBeirFolder(dir);
  const links = await readNextLinks(dir, new Set(data.corpus.keys()));
  const passages = [...data.corpus.values()].map((d) => ({ id: d.id, text: passageText(d), next: links.get(d.id) }));
  return { data, passages, linked: links.size };
}

/** The message a corpus without next-passage structure gets when EBAR is asked for. */
export function noNextMessage(dir: string): string {
  return `${dir}: no passage has a "next" field, so the corpus has no next-passage structure and EBAR has nothing to predict; give a corpus with "next" ids (the passage-corpus stage writes them) or set ebar: false`;
}

export function requireNextStructure(c: PassageCorpus, dir: string): void {
  if (c.linked === 0) throw new LlaraError(noNextMessage(dir));
}
