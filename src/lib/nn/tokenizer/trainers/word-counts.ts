// The words a trainer learns from: each text normalized and pre-tokenized as the finished
// tokenizer will do it, counted.

import type { Normalizer } from '../normalizers.js';
import type { PreTokenizer } from '../pre-tokenizers.js';

export function countWords(texts: Iterable<string>, normalizer: Normalizer | null, preTokenizer: PreTokenizer): Map<string, number> {
  const counts = new Map<string, number>();
  for (const text of texts) {
    const normalized = normalizer ? normalizer.normalize(text) : text;
    for (const w of preTokenizer.preTokenize(normalized, true)) if (w.length) counts.set(w, (counts.get(w) ?? 0) + 1);
  }
  return counts;
}
