// Sentence templates of the arithmetic suite. Placeholders: {name} {Pron} {pron} {poss} {obj}
// {friend} {item} {n}. The in-distribution templates (collector, shop, baker) train and test the
// student; savings and tank appear only in the out-of-distribution "other templates" test set,
// and savings also asks its question first.

import type { Op } from './types.js';

export interface Phrasing {
  sentence: string;
  phrase: string;
}

export interface Template {
  name: string;
  subjects: string[];
  start: Phrasing;
  ops: Record<Op, Phrasing[]>;
  question: string;
  questionFirst?: boolean;
}

export const IN_DISTRIBUTION_TEMPLATES: Template[] = [
  {
    name: 'collector',
    subjects: ['stickers', 'marbles', 'stamps', 'shells', 'cards'],
    start: { sentence: '{name} has {n} {item}.', phrase: '{name} starts with {n} {item}' },
    ops: {
      '+': [
        { sentence: '{Pron} buys {n} more {item}.', phrase: 'After buying {n} more' },
        { sentence: '{friend} gives {obj} {n} {item}.', phrase: 'After getting {n} from {friend}' },
      ],
      '-': [
        { sentence: '{Pron} gives {n} {item} to {friend}.', phrase: 'After giving {n} to {friend}' },
        { sentence: '{Pron} loses {n} {item}.', phrase: 'After losing {n}' },
      ],
      '*': [{ sentence: 'Then {pron} collects until {pron} has {n} times as many {item}.', phrase: 'With {n} times as many' }],
      '/': [{ sentence: '{Pron} splits {poss} {item} into {n} equal piles and keeps one pile.', phrase: 'Keeping one of {n} equal piles' }],
    },
    question: 'How many {item} does {name} have now?',
  },
  {
    name: 'shop',
    subjects: ['pencils', 'notebooks', 'lamps', 'umbrellas', 'mugs'],
    start: { sentence: 'A shop has {n} {item} in stock.', phrase: 'The shop starts with {n} {item}' },
    ops: {
      '+': [
        { sentence: 'A delivery brings {n} more {item}.', phrase: 'After a delivery of {n}' },
        { sentence: 'The shop orders {n} more.', phrase: 'After ordering {n} more' },
      ],
      '-': [
        { sentence: 'Customers buy {n} {item}.', phrase: 'After customers buy {n}' },
        { sentence: '{n} {item} are sent back to the factory.', phrase: 'After sending back {n}' },
      ],
      '*': [{ sentence: 'By the end of the month the stock has grown to {n} times its size.', phrase: 'Growing to {n} times the size' }],
      '/': [{ sentence: 'The {item} are packed equally into {n} crates and only one crate stays in the shop.', phrase: 'Keeping one of {n} crates' }],
    },
    question: 'How many {item} are in the shop at the end?',
  },
  {
    name: 'baker',
    subjects: ['cookies', 'muffins', 'rolls', 'pies', 'bagels'],
    start: { sentence: '{name} bakes {n} {item}.', phrase: '{name} bakes {n} {item}' },
    ops: {
      '+': [{ sentence: '{Pron} bakes another {n}.', phrase: 'After baking {n} more' }],
      '-': [
        { sentence: '{Pron} sells {n} of them.', phrase: 'After selling {n}' },
        { sentence: '{friend} eats {n}.', phrase: 'After {friend} eats {n}' },
      ],
      '*': [{ sentence: '{Pron} makes enough dough to have {n} times as many {item}.', phrase: 'With {n} times as many' }],
      '/': [{ sentence: '{Pron} puts them equally on {n} trays and takes one tray to school.', phrase: 'Taking one of {n} trays' }],
    },
    question: 'How many {item} does {name} have in the end?',
  },
];

export const OOD_TEMPLATES: Template[] = [
  {
    name: 'savings',
    subjects: ['dollars'],
    start: { sentence: '{name} has ${n} in a piggy bank.', phrase: '{name} starts with {n} dollars' },
    ops: {
      '+': [{ sentence: '{Pron} earns ${n} walking dogs.', phrase: 'After earning {n} dollars' }],
      '-': [{ sentence: '{Pron} spends ${n} on a game.', phrase: 'After spending {n} dollars' }],
      '*': [{ sentence: '{poss} grandmother makes the savings {n} times larger.', phrase: 'Multiplying the savings by {n}' }],
      '/': [{ sentence: '{Pron} divides the money equally into {n} envelopes and keeps one envelope.', phrase: 'Keeping one of {n} envelopes' }],
    },
    question: 'How many dollars does {name} end up with?',
    questionFirst: true,
  },
  {
    name: 'tank',
    subjects: ['liters'],
    start: { sentence: 'A water tank holds {n} liters.', phrase: 'The tank starts with {n} liters' },
    ops: {
      '+': [
        { sentence: 'A hose adds {n} liters.', phrase: 'After adding {n} liters' },
        { sentence: 'Rain adds {n} liters.', phrase: 'After {n} liters of rain' },
      ],
      '-': [
        { sentence: '{n} liters leak out.', phrase: 'After {n} liters leak out' },
        { sentence: 'The gardener uses {n} liters.', phrase: 'After the gardener uses {n} liters' },
      ],
      '*': [{ sentence: 'A pump raises the amount of water to {n} times what it was.', phrase: 'At {n} times the amount' }],
      '/': [{ sentence: 'The water is split equally into {n} barrels and one barrel is kept.', phrase: 'Keeping one of {n} barrels' }],
    },
    question: 'How many liters are left in the end?',
  },
];

/** Sentences with a number that has nothing to do with the question. */
export const DISTRACTORS: string[] = [
  '{friend} is {n} years old.',
  '{name} lives {n} miles from the park.',
  'The day before, it rained for {n} hours.',
  'There are {n} windows in the room.',
  'The bus ride takes {n} minutes.',
];

export interface Person {
  name: string;
  pron: string;
  poss: string;
  obj: string;
}

export const PEOPLE: Person[] = [
  { name: 'Mia', pron: 'she', poss: 'her', obj: 'her' },
  { name: 'Leo', pron: 'he', poss: 'his', obj: 'him' },
  { name: 'Ava', pron: 'she', poss: 'her', obj: 'her' },
  { name: 'Noah', pron: 'he', poss: 'his', obj: 'him' },
  { name: 'Zoe', pron: 'she', poss: 'her', obj: 'her' },
  { name: 'Omar', pron: 'he', poss: 'his', obj: 'him' },
  { name: 'Lena', pron: 'she', poss: 'her', obj: 'her' },
  { name: 'Ravi', pron: 'he', poss: 'his', obj: 'him' },
  { name: 'Sofia', pron: 'she', poss: 'her', obj: 'her' },
  { name: 'Kai', pron: 'he', poss: 'his', obj: 'him' },
];

export interface Slots {
  person: Person;
  friend: string;
  item: string;
}

const capital = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

/** Fills every placeholder but {n}; a sentence also starts with a capital. */
export function fill(text: string, slots: Slots): string {
  const out = text
    .replace(/\{name\}/g, slots.person.name)
    .replace(/\{Pron\}/g, capital(slots.person.pron))
    .replace(/\{pron\}/g, slots.person.pron)
    .replace(/\{poss\}/g, slots.person.poss)
    .replace(/\{obj\}/g, slots.person.obj)
    .replace(/\{friend\}/g, slots.friend)
    .replace(/\{item\}/g, slots.item);
  return capital(out);
}
