// reading_comprehension: questions about short generated profiles (answerable from the passage,
// in a fixed answer format per question kind) and open-book questions whose "book" is a hidden
// table of invented materials that only the training pool reveals.

import { CATEGORIES, JOBS, PEOPLE, PRODUCTS, inventWords, pronounOf } from './lexicon.js';
import { capitalize, withArticle } from './english.js';
import type { Rng } from './rng.js';
import { classify, multipleChoice, type TaskGenerator } from './types.js';

const HOBBIES: [string, string][] = [
  ['plays chess', 'play chess'], ['plays tennis', 'play tennis'], ['goes sailing', 'go sailing'], ['goes climbing', 'go climbing'],
  ['does pottery', 'do pottery'], ['goes cycling', 'go cycling'], ['bakes bread', 'bake bread'], ['paints landscapes', 'paint landscapes'],
];
const WEEKDAYS = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'];

interface Profile {
  name: string;
  job: string;
  city: string;
  org: string;
  product: string;
  hobby: [string, string];
  day: string;
  pet: string;
  petName: string;
  year: string;
}

function makeProfile(rng: Rng, cities: string[], orgs: string[], petNames: string[]): Profile {
  return {
    name: rng.pick(PEOPLE), job: rng.pick(JOBS), city: rng.pick(cities), org: rng.pick(orgs), product: rng.pick(PRODUCTS),
    hobby: rng.pick(HOBBIES), day: rng.pick(WEEKDAYS), pet: rng.pick(CATEGORIES.animal), petName: rng.pick(petNames), year: String(rng.range(1971, 2019)),
  };
}

function passage(rng: Rng, p: Profile): string {
  const pr = pronounOf(p.name);
  const sentences = [
    `${p.name} works as ${withArticle(p.job)} in ${p.city}.`,
    `${capitalize(pr.subj)} is employed by ${p.org}, a firm that makes ${p.product}.`,
    `Every ${p.day}, ${p.name} ${p.hobby[0]} after work.`,
    `${p.name} keeps a pet ${p.pet} called ${p.petName}.`,
    `${capitalize(pr.subj)} moved to ${p.city} in ${p.year}.`,
  ];
  return [sentences[0], ...rng.shuffle(sentences.slice(1))].join(' ');
}

type Kind = 'job' | 'org' | 'product' | 'day' | 'petName' | 'year';
const KINDS: Kind[] = ['job', 'org', 'product', 'day', 'petName', 'year'];

function question(kind: Kind, p: Profile): string {
  switch (kind) {
    case 'job': return `What does ${p.name} do for a living?`;
    case 'org': return `Which company employs ${p.name}?`;
    case 'product': return `What does ${p.org} make?`;
    case 'day': return `On which day does ${p.name} ${p.hobby[1]}?`;
    case 'petName': return `What is the name of ${p.name}'s ${p.pet}?`;
    case 'year': return `In what year did ${p.name} move to ${p.city}?`;
  }
}

function answer(kind: Kind, p: Profile): string {
  return kind === 'job' ? withArticle(p.job) : kind === 'petName' ? p.petName : String(p[kind]);
}

function world(worldRng: Rng) {
  const cities = inventWords(worldRng, 12, { proper: true });
  const orgs = inventWords(worldRng, 12, { proper: true }).map((w) => `${w} ${worldRng.pick(['Ltd', 'Works', 'and Sons', 'Co'])}`);
  const petNames = inventWords(worldRng, 16, { proper: true, syllables: 2 });
  return { cities, orgs, petNames };
}

const spanAnswer: TaskGenerator = {
  name: 'gen_profile_span',
  mirrors: 'squad_v1',
  category: 'reading_comprehension',
  type: 'generation',
  metric: 'exact_match',
  fields: ['context', 'question'],
  labels: [],
  description: 'Answer a question about a five-sentence profile with the exact span from the passage; six question kinds, each with its own answer form (a job keeps its article, years and names are bare).',
  build(worldRng) {
    const w = world(worldRng);
    return (rng) => {
      const p = makeProfile(rng, w.cities, w.orgs, w.petNames);
      const kind = rng.pick(KINDS);
      const out = answer(kind, p);
      return { fields: { context: passage(rng, p), question: question(kind, p) }, output: out };
    };
  },
};

const CHECK_LABELS = ['incorrect', 'correct'];

const answerCheck: TaskGenerator = {
  name: 'gen_answer_check',
  mirrors: 'multirc',
  category: 'reading_comprehension',
  type: 'classification',
  metric: 'f1',
  fields: ['paragraph', 'question', 'answer'],
  labels: CHECK_LABELS,
  description: 'Is a candidate answer to a question about a profile correct (correct / incorrect, scored by F1 of "correct")? Wrong candidates are plausible values of the same kind.',
  build(worldRng) {
    const w = world(worldRng);
    return (rng) => {
      const p = makeProfile(rng, w.cities, w.orgs, w.petNames);
      const kind = rng.pick(KINDS);
      const right = rng.chance(0.4);
      let candidate = answer(kind, p);
      while (!right && candidate === answer(kind, p)) candidate = answer(kind, makeProfile(rng, w.cities, w.orgs, w.petNames));
      return classify({ paragraph: passage(rng, p), question: question(kind, p), answer: candidate }, CHECK_LABELS, right ? 'correct' : 'incorrect');
    };
  },
};

const YESNO_LABELS = ['false', 'true'];

const passageYesNo: TaskGenerator = {
  name: 'gen_passage_yesno',
  mirrors: 'boolq',
  category: 'reading_comprehension',
  type: 'classification',
  metric: 'accuracy',
  fields: ['passage', 'question'],
  labels: YESNO_LABELS,
  description: 'Yes/no questions (true / false) about a profile passage; five question kinds (job, employer, hobby day, pet, year), false ones swap in a plausible wrong value.',
  build(worldRng) {
    const w = world(worldRng);
    return (rng) => {
      const p = makeProfile(rng, w.cities, w.orgs, w.petNames);
      const yes = rng.chance(0.5);
      const q = yes ? p : { ...makeProfile(rng, w.cities, w.orgs, w.petNames), name: p.name, city: p.city, hobby: p.hobby, pet: p.pet };
      const kind = rng.int(5);
      const differs = [q.job !== p.job, q.org !== p.org, q.day !== p.day, q.petName !== p.petName, q.year !== p.year][kind];
      const questions = [
        `does ${p.name} work as ${withArticle(q.job)}`,
        `is ${p.name} employed by ${q.org}`,
        `does ${p.name} ${p.hobby[1]} on ${q.day}s`,
        `is ${p.name}'s ${p.pet} called ${q.petName}`,
        `did ${p.name} move to ${p.city} in ${q.year}`,
      ];
      return classify({ passage: passage(rng, p), question: questions[kind]! }, YESNO_LABELS, yes || !differs ? 'true' : 'false');
    };
  },
};

// Situation → the possible outcomes; each invented material has one outcome per situation.
const SITUATIONS: [string, string[]][] = [
  ['drops a {m} {o} into a bucket of water', ['It floats.', 'It sinks.', 'It dissolves.', 'It swells up.']],
  ['leaves a {m} {o} on a sunny windowsill all day', ['It melts.', 'It stays the same.', 'It cracks.', 'It turns white.']],
  ['drops a {m} {o} onto a stone floor', ['It shatters.', 'It bounces.', 'It dents.', 'It stays whole.']],
  ['holds a strong magnet next to a {m} {o}', ['It sticks to the magnet.', 'It is pushed away.', 'Nothing happens.', 'It spins around.']],
];
const OBJECTS = ['spoon', 'cup', 'ball', 'button', 'key', 'ring', 'bowl'];

const openBook: TaskGenerator = {
  name: 'gen_open_book',
  mirrors: 'openbookqa',
  category: 'reading_comprehension',
  type: 'multiple_choice',
  metric: 'accuracy',
  fields: ['question'],
  labels: [],
  description: 'Open-book questions about invented materials: what happens to an object made of one in water, sun, a fall or near a magnet; the "book" (each material\'s behaviour) is only visible through the training pool.',
  build(worldRng) {
    const materials = inventWords(worldRng, 10, { syllables: 2 }).map((m) => `${m}um`);
    const behaviour = new Map(materials.map((m) => [m, SITUATIONS.map(([, outs]) => worldRng.int(outs.length))]));
    return (rng) => {
      const m = rng.pick(materials);
      const s = rng.int(SITUATIONS.length);
      const [situation, outcomes] = SITUATIONS[s]!;
      const p = rng.pick(PEOPLE);
      const q = `${p} ${situation.replace('{m}', m).replace('{o}', rng.pick(OBJECTS))}. What happens?`;
      const right = outcomes[behaviour.get(m)![s]!]!; // behaviour holds one outcome index per situation
      return multipleChoice(rng, { question: q }, right, outcomes.filter((o) => o !== right));
    };
  },
};

export const READING: TaskGenerator[] = [answerCheck, openBook, spanAnswer, passageYesNo];
