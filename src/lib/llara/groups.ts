// Training groups written by the negatives stage (`groups/<set>.jsonl`: {"id", "positives":
// [{"id"}], "negatives": [{"id"}]}), checked against the data set; queries without a negative are
// left out.

import { existsSync, readFileSync } from 'node:fs';
import { DataError } from '../data/errors.js';
import type { BeirDataset } from '../retrieval/beir.js';
import type { TrainingGroup } from '../retrieval/dense.js';

export function readGroupsFile(file: string, data: BeirDataset): TrainingGroup[] {
  if (!existsSync(file)) throw new DataError(file, 0, 'no groups for this set: mine it with the negatives stage on the same BEIR folder');
  const out: TrainingGroup[] = [];
  readFileSync(file, 'utf8').split('\n').forEach((text, i) => {
    if (text.trim() === '') return;
    let v: { id?: unknown; positives?: { id: string }[]; negatives?: { id: string }[] };
    try {
      v = JSON.parse(text);
    } catch (e) {
      throw new DataError(file, i + 1, `invalid JSON: ${(e as Error).message}`);
    }
    if (typeof v.id !== 'string' || !Array.isArray(v.positives) || !Array.isArray(v.negatives)) throw new DataError(file, i + 1, 'expected {"id", "positives": [{"id"}], "negatives": [{"id"}]}');
    if (!data.queries.has(v.id)) throw new DataError(file, i + 1, `query "${v.id}" is not in the set`);
    for (const d of [...v.positives, ...v.negatives]) if (!data.corpus.has(d.id)) throw new DataError(file, i + 1, `document "${d.id}" is not in the corpus`);
    if (v.positives.length === 0 || v.negatives.length === 0) return;
    out.push({ queryId: v.id, positives: v.positives.map((x) => x.id), negatives: v.negatives.map((x) => x.id) });
  });
  return out;
}
