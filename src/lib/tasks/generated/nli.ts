// nli: does a hypothesis follow from a premise? Premises describe one event; each hypothesis
// targets one attribute (quantity, colour, place, time, kind, ...) with a fixed transformation,
// and that attribute is the latent sub-type that makes neighbouring examples informative.

import { CATEGORIES, COLORS, DAYS, JOBS, MONTHS, PEOPLE, SHOPS, inventWords } from './lexicon.js';
import { capitalize, count, numberWord, plural, withArticle } from './english.js';
import type { Rng } from './rng.js';
import { classify, type TaskGenerator } from './types.js';

type Three = 'entail' | 'neutral' | 'contra';
type Maker = (rng: Rng) => string;

/** Picks a label, then one of its hypothesis makers (the sub-type). */
function hypothesis(rng: Rng, makers: Record<Three, Maker[]>, label: Three): string {
  return rng.pick(makers[label])(rng);
}

const SHOP_LABELS = ['implied', 'possible', 'ruled_out'];
const SHOP_WORD: Record<Three, string> = { entail: 'implied', neutral: 'possible', contra: 'ruled_out' };

const shoppingInference: TaskGenerator = {
  name: 'gen_nli_shopping',
  mirrors: 'mnli',
  category: 'nli',
  type: 'classification',
  metric: 'accuracy',
  fields: ['premise', 'hypothesis'],
  labels: SHOP_LABELS,
  description: 'Three-way inference about a purchase (label words implied / possible / ruled_out); hypotheses change or keep the quantity, colour, kind, shop or day.',
  build() {
    const items = CATEGORIES.garment;
    return (rng) => {
      const p = rng.pick(PEOPLE);
      const n = rng.range(2, 9);
      const c = rng.pick(COLORS);
      const item = rng.pick(items);
      const shop = rng.pick(SHOPS);
      const day = rng.pick(DAYS);
      const premise = `${p} bought ${numberWord(n)} ${c} ${plural(item)} at the ${shop} on ${day}.`;
      const makers: Record<Three, Maker[]> = {
        entail: [
          () => `${p} bought more than ${numberWord(n - 1)} ${plural(item)}.`,
          () => `${p} bought some clothes.`,
          () => `${p} was at the ${shop} on ${day}.`,
          () => `The ${plural(item)} that ${p} bought are ${c}.`,
        ],
        contra: [
          (r) => `${p} bought exactly ${numberWord(r.pickOther([2, 3, 4, 5, 6, 7, 8, 9], n))} ${plural(item)}.`,
          (r) => `The ${plural(item)} that ${p} bought are ${r.pickOther(COLORS, c)}.`,
          () => `${p} did not go to the ${shop} on ${day}.`,
          () => `${p} left the ${shop} without buying anything.`,
        ],
        neutral: [
          (r) => `${p} bought the ${plural(item)} as a present for ${r.pickOther(PEOPLE, p)}.`,
          () => `${p} paid for the ${plural(item)} in cash.`,
          () => `The ${plural(item)} were on sale that ${day}.`,
          (r) => `${p} also bought ${withCount(r)} at the ${shop}.`,
        ],
      };
      const label = rng.pick(['entail', 'neutral', 'contra'] as Three[]);
      return classify({ premise, hypothesis: hypothesis(rng, makers, label) }, SHOP_LABELS, SHOP_WORD[label]);
    };
  },
};

function withCount(rng: Rng): string {
  return `${numberWord(rng.range(2, 5))} ${plural(rng.pick(CATEGORIES.fruit))}`;
}

const travelInference: TaskGenerator = {
  name: 'gen_nli_travel',
  mirrors: 'mnli_mm',
  category: 'nli',
  type: 'classification',
  metric: 'accuracy',
  fields: ['premise', 'hypothesis'],
  labels: SHOP_LABELS,
  description: 'The same three-way inference in another genre (travel between invented cities), like MNLI mismatched: destination, origin, date, luggage and mode of travel.',
  build(world) {
    const cities = inventWords(world, 16, { proper: true });
    return (rng) => {
      const p = rng.pick(PEOPLE);
      const [from, to] = rng.sample(cities, 2);
      const day = rng.pick(DAYS);
      const n = rng.range(2, 5);
      const premise = `On ${day}, ${p} flew from ${from} to ${to} with ${numberWord(n)} suitcases.`;
      const makers: Record<Three, Maker[]> = {
        entail: [
          () => `${p} travelled to ${to}.`,
          () => `${p} left ${from} on ${day}.`,
          () => `${p} travelled with luggage.`,
          () => `${p} went somewhere by plane.`,
        ],
        contra: [
          (r) => `${p} flew to ${r.pickOther(cities, from, to)} that ${day}.`,
          () => `${p} stayed in ${from} all of ${day}.`,
          () => `${p} travelled without any luggage.`,
          (r) => `${p} left ${from} on ${r.pickOther(DAYS, day)} and arrived the same day.`,
        ],
        neutral: [
          () => `${p} flew to ${to} for work.`,
          () => `${p} had a window seat on the flight to ${to}.`,
          () => `The flight from ${from} was delayed.`,
          () => `${p} had visited ${to} before.`,
        ],
      };
      const label = rng.pick(['entail', 'neutral', 'contra'] as Three[]);
      return classify({ premise, hypothesis: hypothesis(rng, makers, label) }, SHOP_LABELS, SHOP_WORD[label]);
    };
  },
};

const RTE_LABELS = ['follows', 'unsupported'];

const hiringEntailment: TaskGenerator = {
  name: 'gen_rte_hiring',
  mirrors: 'rte',
  category: 'nli',
  type: 'classification',
  metric: 'accuracy',
  fields: ['premise', 'hypothesis'],
  labels: RTE_LABELS,
  description: 'Two-way entailment (follows / unsupported) about invented companies hiring staff; unsupported hypotheses are either contradictions or unverifiable additions.',
  build(world) {
    const orgs = inventWords(world, 12, { proper: true }).map((w) => `${w} ${world.pick(['Ltd', 'Group', 'Works', 'Labs'])}`);
    const cities = inventWords(world, 10, { proper: true });
    return (rng) => {
      const org = rng.pick(orgs);
      const n = rng.range(3, 12);
      const job = rng.pick(JOBS);
      const month = rng.pick(MONTHS);
      const city = rng.pick(cities);
      const premise = `${org} hired ${count(n, job)} in ${month} for its office in ${city}.`;
      const yes: Maker[] = [
        () => `${org} hired new staff.`,
        () => `${org} has an office in ${city}.`,
        () => `${org} took on ${plural(job)} in ${month}.`,
        () => `${org} hired more than ${numberWord(Math.min(n - 1, 12))} people.`,
      ];
      const no: Maker[] = [
        () => `${org} laid off ${count(n, job)} in ${month}.`,
        (r) => `${org} hired the ${plural(job)} in ${r.pickOther(MONTHS, month)}.`,
        () => `${org} is the largest employer in ${city}.`,
        () => `The new ${plural(job)} at ${org} work from home.`,
        (r) => `${org} closed its office in ${city} in ${r.pick(MONTHS)}.`,
      ];
      const follows = rng.chance(0.5);
      return classify({ premise, hypothesis: rng.pick(follows ? yes : no)(rng) }, RTE_LABELS, follows ? 'follows' : 'unsupported');
    };
  },
};

const QNLI_LABELS = ['answered', 'unanswered'];
// [past verb, thing]
const CHORES: [string, string][] = [
  ['painted', 'fence'], ['repaired', 'bicycle'], ['planted', 'tree'], ['baked', 'cake'], ['washed', 'window'], ['sewed', 'curtain'],
];

const questionEntailment: TaskGenerator = {
  name: 'gen_qnli_chores',
  mirrors: 'qnli',
  category: 'nli',
  type: 'classification',
  metric: 'accuracy',
  fields: ['question', 'sentence'],
  labels: QNLI_LABELS,
  description: 'Does the sentence contain the answer to the question (answered / unanswered)? Questions ask who, how many, where or when; sentences mention a random subset of those details.',
  build() {
    const places = ['in the garden', 'at the school', 'behind the library', 'near the river', 'at the community hall'];
    return (rng) => {
      const [verb, thing] = rng.pick(CHORES);
      const p = rng.pick(PEOPLE);
      const n = rng.range(2, 9);
      const place = rng.pick(places);
      const day = rng.pick(DAYS);
      const ask = rng.pick(['who', 'many', 'where', 'when'] as const);
      const questions = {
        who: `Who ${verb} the ${plural(thing)}?`,
        many: `How many ${plural(thing)} were ${verb}?`,
        where: `Where were the ${plural(thing)} ${verb}?`,
        when: `On which day were the ${plural(thing)} ${verb}?`,
      };
      const answered = rng.chance(0.5);
      // Each detail is mentioned at random, except the asked one, which the label decides.
      const has = (d: typeof ask) => (d === ask ? answered : rng.chance(0.5));
      const subject = has('who') ? p : 'A volunteer';
      const object = has('many') ? `${numberWord(n)} ${plural(thing)}` : `some ${plural(thing)}`;
      const where = has('where') ? ` ${place}` : '';
      const when = has('when') ? ` on ${day}` : '';
      const sentence = `${subject} ${verb} ${object}${where}${when}.`;
      return classify({ question: questions[ask], sentence }, QNLI_LABELS, answered ? 'answered' : 'unanswered');
    };
  },
};

const SNLI_LABELS = ['true', 'unknown', 'false'];
const SNLI_WORD: Record<Three, string> = { entail: 'true', neutral: 'unknown', contra: 'false' };
// [activity, location, what it implies, an incompatible activity, an unverifiable addition]
const SCENES: [string, string, string, string, string][] = [
  ['riding a bicycle', 'along a country road', 'outdoors', 'sleeping in bed', 'training for a race'],
  ['playing the violin', 'on a stage', 'making music', 'swimming in a lake', 'performing for friends'],
  ['cooking noodles', 'in a small kitchen', 'preparing food', 'skiing down a hill', 'cooking for guests'],
  ['reading a newspaper', 'on a park bench', 'sitting down', 'running a marathon', 'waiting for a friend'],
  ['swimming', 'in a cold lake', 'in the water', 'typing at a desk', 'practising for a competition'],
  ['painting a fence', 'in a garden', 'working outside', 'napping on a sofa', 'being paid for the job'],
  ['walking a dog', 'through a busy street', 'outside with an animal', 'sitting on a plane', 'walking a neighbour\'s dog'],
  ['climbing a rock wall', 'at a gym', 'exercising', 'eating dinner at home', 'preparing for a mountain trip'],
];

const captionInference: TaskGenerator = {
  name: 'gen_snli_captions',
  mirrors: 'snli',
  category: 'nli',
  type: 'classification',
  metric: 'accuracy',
  fields: ['premise', 'hypothesis'],
  labels: SNLI_LABELS,
  description: 'Three-way inference on image-caption style scenes (label words true / unknown / false); eight activities, hypotheses about the activity, the clothing or an unverifiable purpose.',
  build() {
    const people = ['man', 'woman', 'boy', 'girl'];
    const ages = ['young', 'old', 'tall', 'smiling'];
    return (rng) => {
      const [act, loc, implied, incompatible, purpose] = rng.pick(SCENES);
      const who = rng.pick(people);
      const color = rng.pick(COLORS);
      const garment = rng.pick(['jacket', 'hat', 'sweater', 'scarf']);
      const premise = `${capitalize(withArticle(rng.pick(ages)))} ${who} in a ${color} ${garment} is ${act} ${loc}.`;
      const makers: Record<Three, Maker[]> = {
        entail: [() => `A ${who} is ${implied}.`, () => `Someone is wearing a ${color} ${garment}.`],
        contra: [() => `The ${who} is ${incompatible}.`, (r) => `The ${who} is wearing a ${r.pickOther(COLORS, color)} ${garment} and nothing ${color}.`],
        neutral: [() => `The ${who} is ${purpose}.`, (r) => `The ${who} is ${r.pick(['on holiday', 'late for work', 'the winner of a prize', 'new in town'])}.`],
      };
      const label = rng.pick(['entail', 'neutral', 'contra'] as Three[]);
      return classify({ premise, hypothesis: hypothesis(rng, makers, label) }, SNLI_LABELS, SNLI_WORD[label]);
    };
  },
};

export const NLI: TaskGenerator[] = [shoppingInference, travelInference, hiringEntailment, questionEntailment, captionInference];
