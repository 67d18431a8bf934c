// data_to_text: concepts, restaurant attributes and triples to a sentence. Each frame or record
// type (the latent sub-type) has one house style, visible only through demonstrations.

import { JOBS, PEOPLE, inventWords } from './lexicon.js';
import { capitalize, joinAnd, thirdPerson, withArticle } from './english.js';
import type { Rng } from './rng.js';
import type { TaskGenerator } from './types.js';

// [who, verb, object, place] slot lists with the house style and an alternative.
interface Scene {
  who: string[];
  verb: string;
  what: string[];
  where: string[];
  say: (w: string, x: string, p: string) => [string, string];
}

const SCENES: Scene[] = [
  { who: ['dog', 'cat', 'fox', 'puppy'], verb: 'chase', what: ['ball', 'frisbee', 'stick', 'leaf'], where: ['park', 'garden', 'yard', 'field'],
    say: (w, x, p) => [`The ${w} chases the ${x} across the ${p}.`, `A ${w} is chasing a ${x} in the ${p}.`] },
  { who: ['chef', 'man', 'woman', 'child'], verb: 'cook', what: ['soup', 'rice', 'pancakes', 'noodles'], where: ['stove', 'fire', 'grill', 'pan'],
    say: (w, x, p) => [`The ${w} cooks ${x} on the ${p}.`, `A ${w} is cooking ${x} over a ${p}.`] },
  { who: ['musician', 'girl', 'boy', 'busker'], verb: 'play', what: ['violin', 'guitar', 'flute', 'drum'], where: ['stage', 'street', 'bridge', 'square'],
    say: (w, x, p) => [`A ${w} plays the ${x} on the ${p}.`, `The ${w} is playing a ${x} in the ${p}.`] },
  { who: ['rider', 'farmer', 'student', 'tourist'], verb: 'ride', what: ['bicycle', 'horse', 'scooter', 'camel'], where: ['road', 'beach', 'hill', 'trail'],
    say: (w, x, p) => [`The ${w} rides a ${x} along the ${p}.`, `A ${w} is riding the ${x} on a ${p}.`] },
  { who: ['man', 'woman', 'teenager', 'father'], verb: 'wash', what: ['car', 'dog', 'window', 'bike'], where: ['sponge', 'hose', 'bucket', 'brush'],
    say: (w, x, p) => [`The ${w} washes the ${x} with a ${p}.`, `A ${w} is washing a ${x} using a ${p}.`] },
  { who: ['student', 'grandmother', 'boy', 'nurse'], verb: 'read', what: ['book', 'newspaper', 'letter', 'map'], where: ['sofa', 'bench', 'bed', 'train'],
    say: (w, x, p) => [`The ${w} reads a ${x} on the ${p}.`, `A ${w} is reading the ${x} on a ${p}.`] },
];

const conceptSentence: TaskGenerator = {
  name: 'gen_concept_sentence',
  mirrors: 'common_gen',
  category: 'data_to_text',
  type: 'generation',
  metric: 'rouge_l',
  fields: ['concepts'],
  labels: [],
  description: 'Write a sentence using all listed concepts (shuffled); six scene frames (chase, cook, play, ride, wash, read), each with its own phrasing.',
  build() {
    return (rng) => {
      const s = rng.pick(SCENES);
      const [w, x, p] = [rng.pick(s.who), rng.pick(s.what), rng.pick(s.where)];
      const [main, alt] = s.say(w, x, p);
      return { fields: { concepts: rng.shuffle([w, s.verb, x, p]).join(', ') }, output: main, references: [main, alt] };
    };
  },
};

const FOODS = ['Thai', 'Italian', 'French', 'Indian', 'Chinese', 'English', 'Japanese'];
const PRICE_WORD: Record<string, string> = { cheap: 'cheap', moderate: 'moderately priced', high: 'pricey' };

interface Mr {
  name: string;
  eatType: string;
  food?: string;
  priceRange?: string;
  area?: string;
  familyFriendly?: string;
  customerRating?: string;
  near?: string;
}

const MR_KEYS = ['name', 'eatType', 'food', 'priceRange', 'area', 'familyFriendly', 'customerRating', 'near'] as const;

function realise(m: Mr): string {
  let head: string;
  if (m.eatType === 'restaurant') head = `${m.name} is ${withArticle(`${m.priceRange ? PRICE_WORD[m.priceRange] + ' ' : ''}${m.food ? m.food + ' ' : ''}restaurant`)}`;
  else if (m.eatType === 'pub') head = `${m.name} is a pub${m.food ? ` serving ${m.food} food` : ''}${m.priceRange ? ` at ${m.priceRange} prices` : ''}`;
  else head = `There is a coffee shop called ${m.name}${m.food ? ` that serves ${m.food} food` : ''}${m.priceRange ? ` in the ${m.priceRange} price range` : ''}`;
  const where = m.area ? (m.area === 'riverside' ? ' by the riverside' : ' in the city centre') : '';
  const near = m.near ? ` near ${m.near}` : '';
  const family = m.familyFriendly ? ` It is ${m.familyFriendly === 'yes' ? '' : 'not '}family-friendly.` : '';
  const rating = m.customerRating ? ` Customers rate it ${m.customerRating}.` : '';
  return `${head}${where}${near}.${family}${rating}`;
}

/** A plainer second reference: one clause per attribute. */
function realisePlain(m: Mr): string {
  const facts: string[] = [`${m.name} is a ${m.eatType}`];
  if (m.food) facts.push(`it serves ${m.food} food`);
  if (m.priceRange) facts.push(`its prices are ${m.priceRange}`);
  if (m.area) facts.push(`it is in the ${m.area}`);
  if (m.near) facts.push(`it is near ${m.near}`);
  if (m.familyFriendly) facts.push(`it is ${m.familyFriendly === 'yes' ? '' : 'not '}family-friendly`);
  if (m.customerRating) facts.push(`its rating is ${m.customerRating}`);
  return capitalize(joinAnd(facts)) + '.';
}

const restaurantMr: TaskGenerator = {
  name: 'gen_restaurant_mr',
  mirrors: 'e2e_nlg',
  category: 'data_to_text',
  type: 'generation',
  metric: 'rouge_l',
  fields: ['meaning_representation'],
  labels: [],
  description: 'E2E-style restaurant attributes to one description; the venue type (restaurant, pub, coffee shop) fixes the sentence pattern, other attributes are optional.',
  build(world) {
    const names = inventWords(world, 20, { proper: true });
    return (rng) => {
      const m: Mr = { name: rng.pick(names), eatType: rng.pick(['restaurant', 'pub', 'coffee shop']) };
      const optional: (keyof Mr)[] = ['food', 'priceRange', 'area', 'familyFriendly', 'customerRating', 'near'];
      for (const k of rng.sample(optional, rng.range(2, 4))) {
        if (k === 'food') m.food = rng.pick(FOODS);
        if (k === 'priceRange') m.priceRange = rng.pick(['cheap', 'moderate', 'high']);
        if (k === 'area') m.area = rng.pick(['city centre', 'riverside']);
        if (k === 'familyFriendly') m.familyFriendly = rng.pick(['yes', 'no']);
        if (k === 'customerRating') m.customerRating = rng.pick(['low', 'average', 'high']);
        if (k === 'near') m.near = rng.pickOther(names, m.name);
      }
      const mr = MR_KEYS.filter((k) => m[k] !== undefined).map((k) => `${k}[${m[k]}]`).join(', ');
      const main = realise(m);
      return { fields: { meaning_representation: mr }, output: main, references: [main, realisePlain(m)] };
    };
  },
};

const tripleFacts: TaskGenerator = {
  name: 'gen_triple_facts',
  mirrors: 'dart',
  category: 'data_to_text',
  type: 'generation',
  metric: 'rouge_l',
  fields: ['tripleset'],
  labels: [],
  description: 'DART-style (subject | RELATION | object) triples about invented people to one sentence: occupation and employer become an apposition, birth, awards and marriage the main clauses.',
  build(world) {
    const surnames = inventWords(world, 20, { proper: true, syllables: 2 });
    const places = inventWords(world, 12, { proper: true });
    const orgs = inventWords(world, 10, { proper: true }).map((w) => `${w} Institute`);
    const prizes = inventWords(world, 6, { proper: true, syllables: 2 }).map((w) => `${w} Prize`);
    return (rng: Rng) => {
      const x = `${rng.pick(PEOPLE)} ${rng.pick(surnames)}`;
      const rels = rng.sample(['OCCUPATION', 'EMPLOYER', 'BIRTH_PLACE', 'BIRTH_YEAR', 'AWARD', 'SPOUSE'], rng.range(2, 3));
      const has = (r: string) => rels.includes(r);
      const v = {
        OCCUPATION: rng.pick(JOBS), EMPLOYER: rng.pick(orgs), BIRTH_PLACE: rng.pick(places), BIRTH_YEAR: String(rng.range(1930, 2000)),
        AWARD: `the ${rng.pick(prizes)}`, SPOUSE: `${rng.pick(PEOPLE)} ${rng.pick(surnames)}`,
      } as Record<string, string>;
      const tripleset = rels.map((r) => `${x} | ${r} | ${v[r]}`).join('; ');
      const apposition = has('OCCUPATION') ? `, ${withArticle(v.OCCUPATION!)}${has('EMPLOYER') ? ` at ${v.EMPLOYER}` : ''},` : '';
      const clauses: string[] = [];
      if (has('BIRTH_PLACE') || has('BIRTH_YEAR')) clauses.push(`was born${has('BIRTH_PLACE') ? ` in ${v.BIRTH_PLACE}` : ''}${has('BIRTH_YEAR') ? ` in ${v.BIRTH_YEAR}` : ''}`);
      if (has('AWARD')) clauses.push(`won ${v.AWARD}`);
      if (has('SPOUSE')) clauses.push(`is married to ${v.SPOUSE}`);
      if (has('EMPLOYER') && !has('OCCUPATION')) clauses.unshift(`works at ${v.EMPLOYER}`);
      const output = clauses.length > 0 ? `${x}${apposition} ${joinAnd(clauses)}.` : `${x} ${thirdPerson('work')} as ${withArticle(v.OCCUPATION!)}${has('EMPLOYER') ? ` at ${v.EMPLOYER}` : ''}.`;
      return { fields: { tripleset }, output, references: [output] };
    };
  },
};

export const DATA_TO_TEXT: TaskGenerator[] = [conceptSentence, restaurantMr, tripleFacts];
