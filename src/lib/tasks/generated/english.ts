// Tiny English helpers for generated sentences.

const IRREGULAR_PLURALS: Record<string, string> = {
  knife: 'knives', shelf: 'shelves', child: 'children', mouse: 'mice', person: 'people', goose: 'geese',
  moose: 'moose', salmon: 'salmon', sheep: 'sheep', loaf: 'loaves', leaf: 'leaves', wolf: 'wolves', tomato: 'tomatoes', potato: 'potatoes',
};

export function plural(noun: string): string {
  if (IRREGULAR_PLURALS[noun]) return IRREGULAR_PLURALS[noun];
  if (/(s|x|z|ch|sh)$/.test(noun)) return noun + 'es';
  if (/[^aeiou]y$/.test(noun)) return noun.slice(0, -1) + 'ies';
  return noun + 's';
}

/** "3 apples", "1 apple". */
export function count(n: number, noun: string): string {
  return `${n} ${n === 1 ? noun : plural(noun)}`;
}

const NUMBER_WORDS = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine', 'ten', 'eleven', 'twelve'];

export function numberWord(n: number): string {
  return NUMBER_WORDS[n] ?? String(n);
}

export function article(word: string): string {
  return /^[aeiou]/i.test(word) ? 'an' : 'a';
}

/** "an apple". */
export function withArticle(phrase: string): string {
  return `${article(phrase)} ${phrase}`;
}

export function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/** "a, b and c". */
export function joinAnd(items: readonly string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}

/** Third-person singular present: "make" → "makes", "carry" → "carries". */
export function thirdPerson(verb: string): string {
  if (verb === 'have') return 'has';
  if (/(s|x|z|ch|sh|o)$/.test(verb)) return verb + 'es';
  if (/[^aeiou]y$/.test(verb)) return verb.slice(0, -1) + 'ies';
  return verb + 's';
}
