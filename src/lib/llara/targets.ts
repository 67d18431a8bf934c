// The bag-of-tokens targets of a passage: its own ids (EBAE) and its next passage's ids (EBAR),
// optionally read after stop-word removal. A passage whose EBAE target is empty (nothing left
// after stop-word removal) is skipped and counted; a passage without a next one has an empty EBAR
// target, and the loss leaves that row out of its EBAR mean.

import type { Tokenizer } from '../nn/tokenizer/tokenizer.js';
import type { Passage } from './passages.js';
import { removeStopWords } from './stopwords.js';

export interface TrainingPassage {
  /** Ids of the passage as the model reads it. */
  input: number[];
  ebae: number[];
  ebar: number[];
}

/** Rows whose targets hold no id outside `ignoreIds`. */
export function emptyTargetRows(targets: readonly number[][], ignoreIds: Iterable<number>): number {
  const ignored = new Set(ignoreIds);
  return targets.filter((ids) => ids.every((id) => ignored.has(id))).length;
}

export interface TargetOptions {
  stopWords: boolean;
  /** Text ids kept per passage (the rest of the prompt takes the remaining length). */
  budget: number;
  ignoreIds: readonly number[];
}

export interface PreparedPassages {
  rows: TrainingPassage[];
  /** Passages left out: nothing of them is left to predict. */
  skippedEmpty: number;
  /** Passages with no next passage (their EBAR row is skipped by the loss). */
  withoutNext: number;
}

export function preparePassages(tok: Tokenizer, passages: readonly Passage[], o: TargetOptions): PreparedPassages {
  const byId = new Map(passages.map((p) => [p.id, p]));
  const ids = (text: string) => tok.encode(text, { addSpecialTokens: false }).ids;
  const target = (text: string) => ids(o.stopWords ? removeStopWords(text) : text).slice(0, o.budget);
  const rows: TrainingPassage[] = [];
  let skippedEmpty = 0;
  let withoutNext = 0;
  for (const p of passages) {
    const ebae = target(p.text);
    if (emptyTargetRows([ebae], o.ignoreIds) === 1) {
      skippedEmpty++;
      continue;
    }
    const next = p.next === undefined ? undefined : byId.get(p.next);
    if (next === undefined) withoutNext++;
    rows.push({ input: ids(p.text).slice(0, o.budget), ebae, ebar: next ? target(next.text) : [] });
  }
  return { rows, skippedEmpty, withoutNext };
}
