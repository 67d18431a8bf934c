// close_qa: questions answered from a small invented knowledge base that only the training pool
// reveals, so demonstrations about the same entity are what make the answer reachable.

import { CATEGORIES, PEOPLE, inventWords, type Category } from './lexicon.js';
import { capitalize, withArticle } from './english.js';
import type { Rng } from './rng.js';
import { multipleChoice, type TaskGenerator } from './types.js';

const RELATION_QUESTIONS = {
  capital: ['What is the capital of {c}?', 'Which city is the seat of government of {c}?', '{c} is governed from which city?', 'Name the capital city of {c}.'],
  currency: ['What currency is used in {c}?', 'What do people in {c} pay with?', 'Name the money of {c}.', 'What is the official currency of {c}?'],
  language: ['What language is spoken in {c}?', 'Which tongue do most people in {c} speak?', 'In {c}, what is the main language?', 'What is the official language of {c}?'],
  river: ['Which river flows through {c}?', 'What is the longest river of {c}?', 'Name the great river of {c}.', 'Which river crosses {c}?'],
  founder: ['Who founded {c}?', 'Who was the first ruler of {c}?', '{c} was founded by whom?', 'Who is remembered as the founder of {c}?'],
  animal: ['What is the national animal of {c}?', 'Which animal is on the flag of {c}?', 'What creature is the emblem of {c}?', 'Which animal symbolises {c}?'],
} satisfies Record<string, string[]>;

const countryFacts: TaskGenerator = {
  name: 'gen_country_facts',
  mirrors: 'nq',
  category: 'close_qa',
  type: 'generation',
  metric: 'exact_match',
  fields: ['question'],
  labels: [],
  description: 'Short-answer questions about invented countries (capital, currency, language, river, founder, emblem animal); each fact is asked in four wordings, so pool questions about the same country and relation carry the answer.',
  build(world: Rng) {
    const names = inventWords(world, 60, { proper: true });
    const countries = names.slice(0, 20);
    const animals = CATEGORIES.animal;
    const facts = countries.map((c, i) => ({
      // 60 names: 20 countries, then their capitals, then their currencies.
      capital: names[20 + i]!,
      currency: `${names[40 + i]!.toLowerCase()} ${world.pick(['crowns', 'marks', 'shells', 'coins'])}`,
      language: `${c.replace(/[aeiou]+[a-z]?$/, '')}ic`,
      river: `the ${inventWords(world, 1, { proper: true, syllables: 2 })[0]!} River`,
      founder: `${world.pick(PEOPLE)} ${inventWords(world, 1, { proper: true, syllables: 2 })[0]!}`,
      animal: `the ${world.pick(animals)}`,
    }));
    const relations = Object.keys(RELATION_QUESTIONS) as (keyof (typeof facts)[number])[];
    return (rng) => {
      const i = rng.int(countries.length);
      const rel = rng.pick(relations);
      // Optional lead-ins widen the example space without touching the fact asked.
      const lead = rng.pick(['', '', 'Quiz: ', 'Geography quiz: ', '{p} asks: ', 'Trivia round: ']).replace('{p}', rng.pick(PEOPLE));
      const question = lead + rng.pick(RELATION_QUESTIONS[rel]).replace('{c}', countries[i]!);
      const answer = facts[i]![rel]; // one fact sheet per country
      const bare = answer.replace(/^the /, '');
      return { fields: { question }, output: answer, references: bare === answer ? [answer] : [answer, bare] };
    };
  },
};

const PROPERTIES = [
  ['glows when heated', 'It glows when heated.'],
  ['dissolves in water', 'It dissolves in water.'],
  ['attracts iron filings', 'It attracts iron filings.'],
  ['floats on water', 'It floats on water.'],
  ['crumbles in frost', 'It crumbles in frost.'],
  ['turns green in vinegar', 'It turns green in vinegar.'],
] as const;

const mineralScience: TaskGenerator = {
  name: 'gen_mineral_science',
  mirrors: 'arc_c',
  category: 'close_qa',
  type: 'multiple_choice',
  metric: 'accuracy',
  fields: ['question'],
  labels: [],
  description: 'Science-exam questions about invented minerals, each with one telltale property; three question forms (find the mineral, find the property, identify a sample) share the same facts.',
  build(world: Rng) {
    const minerals = inventWords(world, 18, { syllables: 2 }).map((w) => `${w}ite`);
    const prop = new Map(minerals.map((m, i) => [m, i % PROPERTIES.length]));
    const withProp = (p: number) => minerals.filter((m) => prop.get(m) === p);
    const without = (p: number) => minerals.filter((m) => prop.get(m) !== p);
    return (rng) => {
      const form = rng.int(3);
      const p = rng.int(PROPERTIES.length);
      if (form === 1) {
        const m = rng.pick(withProp(p));
        const wrong = rng.sample([0, 1, 2, 3, 4, 5].filter((x) => x !== p), 3).map((x) => PROPERTIES[x]![1]);
        return multipleChoice(rng, { question: `A lab tests a sample of ${m}. Which statement about ${m} is true?` }, PROPERTIES[p]![1], wrong);
      }
      const answer = rng.pick(withProp(p));
      const question = form === 0
        ? `Which mineral ${PROPERTIES[p]![0]}?`
        : `A student finds a rock that ${PROPERTIES[p]![0]}. Which mineral could it be?`;
      return multipleChoice(rng, { question }, answer, rng.sample(without(p), 3));
    };
  },
};

const CATEGORY_PHRASE: Record<Category, string> = {
  fruit: 'a fruit', vegetable: 'a vegetable', tool: 'a tool', animal: 'an animal', vehicle: 'a vehicle',
  instrument: 'a musical instrument', furniture: 'a piece of furniture', garment: 'a piece of clothing',
};

const categoryMembership: TaskGenerator = {
  name: 'gen_category_membership',
  mirrors: 'arc_e',
  category: 'close_qa',
  type: 'multiple_choice',
  metric: 'accuracy',
  fields: ['question'],
  labels: [],
  description: 'Easy questions on which everyday thing belongs to which category (fruit, tool, vehicle, ...), asked forwards (which of these is a tool?) and backwards (a wrench is what?).',
  build() {
    const cats = Object.keys(CATEGORIES) as Category[];
    return (rng) => {
      const cat = rng.pick(cats);
      const item = rng.pick(CATEGORIES[cat]);
      const others = rng.sample(cats.filter((c) => c !== cat), 3);
      if (rng.chance(0.5)) {
        const form = rng.pick(['Which of these is {p}?', 'Which of the following would you call {p}?']);
        return multipleChoice(rng, { question: form.replace('{p}', CATEGORY_PHRASE[cat]) }, item, others.map((c) => rng.pick(CATEGORIES[c])));
      }
      const form = rng.pick(['{i} is best described as what?', 'What kind of thing is {i}?']);
      return multipleChoice(rng, { question: capitalize(form.replace('{i}', withArticle(item))) }, CATEGORY_PHRASE[cat], others.map((c) => CATEGORY_PHRASE[c]));
    };
  },
};

export const CLOSE_QA: TaskGenerator[] = [countryFacts, mineralScience, categoryMembership];
