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

// T5's qa_utils normalisation (LLM-R, evaluation/qa_utils.py): lower-case, replace the ASCII
// punctuation of Python's string.punctuation, drop the articles, collapse whitespace.
const ASCII_PUNCTUATION = new Set('!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~');
const TRIVIA_QA_EXTRA = new Set('‘’´`_');

function t5Normalize(s: string, isPunct: (ch: string) => boolean, replacement: string): string {
  let out = '';
  for (const ch of s.toLowerCase()) out += isPunct(ch) ? replacement : ch;
  // Python's \b is Unicode-aware; JavaScript's is not, hence the explicit lookarounds.
  out = out.replace(/(?<![\p{L}\p{N}_])(?:a|an|the)(?![\p{L}\p{N}_])/gu, ' ');
  return out.split(/\s+/u).filter((w) => w !== '').join(' ');
}

/** normalize_squad: punctuation deleted. */
export function normalizeSquad(s: string): string {
  return t5Normalize(s, (ch) => ASCII_PUNCTUATION.has(ch), '');
}

/** normalize_trivia_qa: punctuation (and ‘’´`_) replaced by a space. */
export function normalizeTriviaQa(s: string): string {
  return t5Normalize(s, (ch) => ASCII_PUNCTUATION.has(ch) || TRIVIA_QA_EXTRA.has(ch), ' ');
}
