// Stop-word removal for the bag-of-tokens targets (the released code's `remove_stop_words`): drop
// non-word characters, then the common English function words below, before tokenization. The
// list is our own short one (articles, pronouns, auxiliaries, prepositions, conjunctions).

export const ENGLISH_STOP_WORDS: ReadonlySet<string> = new Set(
  (
    'a an the this that these those i me my we our you your he him his she her it its they them their ' +
    'what which who whom whose when where why how ' +
    'am is are was were be been being have has had having do does did doing will would shall should can could may might must ' +
    'and or but nor so if then than because while as until ' +
    'of at by for with about against between into through during before after above below to from up down in out on off over under ' +
    'again further once here there all any both each few more most other some such no not only own same too very just ' +
    's t don now also'
  ).split(' '),
);

/** The words of `text` left after dropping non-word characters and stop words, joined by spaces. */
export function removeStopWords(text: string, stopWords: ReadonlySet<string> = ENGLISH_STOP_WORDS): string {
  return text
    .split(/[^\p{L}\p{N}_]+/u)
    .filter((w) => w !== '' && !stopWords.has(w.toLowerCase()))
    .join(' ');
}
