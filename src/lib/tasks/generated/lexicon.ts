// The vocabulary of the generated suite: a few hundred everyday words in small themed lists,
// plus syllables for invented names (so facts about them cannot be known without the data).

import type { Rng } from './rng.js';
import { capitalize } from './english.js';

export const WOMEN = ['Anna', 'Carla', 'Elena', 'Greta', 'Irene', 'Kira', 'Maya', 'Olga', 'Rosa', 'Tara',
  'Vera', 'Xenia', 'Zoe', 'Clara', 'Esther', 'Hana', 'Julia', 'Lina', 'Nadia', 'Priya'] as const;
export const MEN = ['Ben', 'David', 'Farid', 'Hugo', 'Jonas', 'Leo', 'Nico', 'Pavel', 'Sami', 'Umar',
  'Wes', 'Yusuf', 'Bruno', 'Dmitri', 'Felix', 'Ivan', 'Karim', 'Marco', 'Oscar', 'Tomas'] as const;
export const PEOPLE = [...WOMEN, ...MEN] as const;

export function pronounOf(name: string): { subj: string; obj: string; poss: string } {
  return (WOMEN as readonly string[]).includes(name) ? { subj: 'she', obj: 'her', poss: 'her' } : { subj: 'he', obj: 'him', poss: 'his' };
}

/** Two different people of the same gender, so pronouns do not give the answer away. */
export function samePair(rng: Rng): [string, string] {
  const group = rng.chance(0.5) ? WOMEN : MEN;
  const [a, b] = rng.sample(group, 2);
  return [a!, b!];
}

export const CATEGORIES = {
  fruit: ['apple', 'pear', 'plum', 'cherry', 'mango', 'peach', 'grape', 'lemon', 'banana', 'apricot'],
  vegetable: ['carrot', 'onion', 'leek', 'cabbage', 'turnip', 'spinach', 'pepper', 'potato', 'celery', 'radish'],
  tool: ['hammer', 'saw', 'wrench', 'drill', 'chisel', 'shovel', 'rake', 'pliers', 'screwdriver', 'axe'],
  animal: ['fox', 'otter', 'badger', 'heron', 'lizard', 'beaver', 'falcon', 'rabbit', 'salmon', 'moose'],
  vehicle: ['bus', 'tram', 'bicycle', 'truck', 'canoe', 'glider', 'scooter', 'tractor', 'ferry', 'van'],
  instrument: ['violin', 'flute', 'drum', 'harp', 'cello', 'trumpet', 'piano', 'guitar', 'oboe', 'banjo'],
  furniture: ['chair', 'table', 'sofa', 'shelf', 'bed', 'desk', 'stool', 'wardrobe', 'bench', 'cabinet'],
  garment: ['coat', 'scarf', 'glove', 'boot', 'jacket', 'sweater', 'hat', 'sock', 'skirt', 'vest'],
} satisfies Record<string, readonly string[]>;
export type Category = keyof typeof CATEGORIES;

export const COLORS = ['red', 'blue', 'green', 'yellow', 'black', 'white', 'orange', 'purple', 'grey', 'brown'] as const;
export const DAYS = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'] as const;
export const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September',
  'October', 'November', 'December'] as const;
export const SHOPS = ['market', 'bakery', 'corner shop', 'supermarket', 'farm stand', 'grocery'] as const;
export const JOBS = ['baker', 'nurse', 'pilot', 'teacher', 'plumber', 'painter', 'lawyer', 'farmer', 'chemist', 'tailor',
  'librarian', 'carpenter', 'engineer', 'architect', 'journalist', 'mechanic'] as const;
export const PRODUCTS = ['bicycles', 'lamps', 'shoes', 'clocks', 'kites', 'radios', 'boats', 'candles', 'maps', 'tents'] as const;
export const HOBBIES = ['chess', 'tennis', 'pottery', 'sailing', 'gardening', 'knitting', 'climbing', 'painting', 'cycling', 'baking'] as const;
export const TOPICS = ['budget', 'hiring plan', 'office move', 'product launch', 'safety audit', 'quarterly report',
  'client visit', 'website redesign', 'training day', 'supplier contract'] as const;
export const DOCUMENTS = ['expense report', 'timesheet', 'project plan', 'draft contract', 'slide deck', 'survey results'] as const;

const ONSETS = ['b', 'd', 'f', 'g', 'k', 'l', 'm', 'n', 'p', 'r', 's', 't', 'v', 'z', 'br', 'dr', 'kr', 'st', 'tr', 'th', 'sh', 'gl'];
const VOWELS = ['a', 'e', 'i', 'o', 'u', 'a', 'o', 'ai', 'ou'];
const CODAS = ['', '', '', 'n', 'r', 'l', 'm', 's', 'k', 'th', 'x'];

/** A pronounceable invented word ("Zarvel", "Drounik"). */
export function inventWord(rng: Rng, syllables = rng.range(2, 3)): string {
  let w = '';
  for (let i = 0; i < syllables; i++) w += rng.pick(ONSETS) + rng.pick(VOWELS) + (i === syllables - 1 ? rng.pick(CODAS) : '');
  return w;
}

/** `n` distinct invented words, capitalized when `proper`. */
export function inventWords(rng: Rng, n: number, opts: { proper?: boolean; syllables?: number; avoid?: Set<string> } = {}): string[] {
  const seen = opts.avoid ?? new Set<string>();
  const out: string[] = [];
  while (out.length < n) {
    const w = inventWord(rng, opts.syllables);
    if (seen.has(w)) continue;
    seen.add(w);
    out.push(opts.proper ? capitalize(w) : w);
  }
  return out;
}
