// Text normalisation and tokenisation shared by the metrics. All of it is Unicode-aware:
// NFKC folds compatibility forms (full-width letters, ligatures) and \p classes replace ASCII sets.

const ARTICLES = new Set(['a', 'an', 'the']);

/** Label comparison: NFKC, trimmed, lower-cased. */
export function normalizeLabel(s: string): string {
  return s.normalize('NFKC').trim().toLowerCase();
}

/**
 * SQuAD-style answer normalisation: lower-case, delete punctuation and symbols, drop the
 * articles a/an/the, collapse whitespace. Articles are dropped per token (not with an ASCII
 * \b regex) so a word such as "theø" is not cut.
 */
export function normalizeAnswer(s: string): string {
  const noPunct = s.normalize('NFKC').toLowerCase().replace(/[\p{P}\p{S}]/gu, '');
  return noPunct.split(/\s+/u).filter((w) => w !== '' && !ARTICLES.has(w)).join(' ');
}

/** Tokens of a normalised answer (for token F1). */
export function answerTokens(s: string): string[] {
  const n = normalizeAnswer(s);
  return n === '' ? [] : n.split(' ');
}

/** ROUGE tokens: lower-cased runs of letters, marks and digits; everything else separates. */
export function rougeTokens(s: string): string[] {
  return s.normalize('NFKC').toLowerCase().match(/[\p{L}\p{M}\p{N}]+/gu) ?? [];
}

/** BLEU tokens: words (letters, marks, digits) and each other non-space character on its own. */
export function bleuTokens(s: string, lowercase = false): string[] {
  const t = lowercase ? s.toLowerCase() : s;
  return t.normalize('NFKC').match(/[\p{L}\p{M}\p{N}]+|[^\s\p{L}\p{M}\p{N}]/gu) ?? [];
}
