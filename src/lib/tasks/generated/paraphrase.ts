// paraphrase: are two texts the same in meaning? Each task has a few event kinds (sub-types)
// with their own ways of rewording and their own ways of changing the meaning.

import { DAYS, MONTHS, PEOPLE, inventWords } from './lexicon.js';
import type { Rng } from './rng.js';
import { classify, type TaskGenerator } from './types.js';

// Every kind's slots() fills each slot its sentences and changes read.
type Slots = Record<string, string>;
interface EventKind {
  slots(rng: Rng): Slots;
  /** Renderings with the same meaning. */
  say: ((s: Slots) => string)[];
  /** Ways of changing one detail. */
  change: ((s: Slots, rng: Rng) => Slots)[];
}

const MRPC_LABELS = ['different_meaning', 'same_meaning'];

function newsKinds(world: Rng): EventKind[] {
  const orgs = inventWords(world, 10, { proper: true });
  const cities = inventWords(world, 10, { proper: true });
  const goods = ['coffee', 'bread', 'petrol', 'rice', 'steel', 'cotton'];
  const num = (rng: Rng) => String(rng.range(2, 40));
  return [
    {
      slots: (rng) => ({ org: rng.pick(orgs), day: rng.pick(DAYS), n: num(rng), city: rng.pick(cities), verb: 'open' }),
      say: [
        (s) => `${s.org} announced on ${s.day} that it will ${s.verb} ${s.n} stores in ${s.city}.`,
        (s) => `On ${s.day}, ${s.org} said it plans to ${s.verb} ${s.n} shops in ${s.city}.`,
        (s) => `${s.org} will ${s.verb} ${s.n} stores in ${s.city}, the company said on ${s.day}.`,
      ],
      change: [
        (s, r) => ({ ...s, n: String(Number(s.n) + r.range(1, 9)) }),
        (s, r) => ({ ...s, city: r.pickOther(cities, s.city!) }),
        (s) => ({ ...s, verb: 'close' }),
      ],
    },
    {
      slots: (rng) => {
        const [a, b] = rng.sample(cities, 2);
        const win = rng.range(2, 6);
        return { a: `${a} United`, b: `${b} Rovers`, w: String(win), l: String(rng.range(0, win - 1)), day: rng.pick(DAYS) };
      },
      say: [
        (s) => `${s.a} beat ${s.b} ${s.w}-${s.l} on ${s.day}.`,
        (s) => `On ${s.day}, ${s.a} defeated ${s.b} by ${s.w} goals to ${s.l}.`,
        (s) => `${s.b} lost ${s.l}-${s.w} to ${s.a} on ${s.day}.`,
      ],
      change: [
        (s) => ({ ...s, a: s.b!, b: s.a! }),
        (s) => ({ ...s, w: String(Number(s.w) + 1) }),
        (s, r) => ({ ...s, day: r.pickOther(DAYS, s.day!) }),
      ],
    },
    {
      slots: (rng) => ({ n: num(rng), city: rng.pick(cities), day: rng.pick(DAYS), what: 'rain' }),
      say: [
        (s) => `Heavy ${s.what} closed ${s.n} roads in ${s.city} on ${s.day}.`,
        (s) => `${s.n} roads in ${s.city} were shut by heavy ${s.what} on ${s.day}.`,
        (s) => `On ${s.day}, heavy ${s.what} forced ${s.city} to close ${s.n} roads.`,
      ],
      change: [
        (s, r) => ({ ...s, n: String(Number(s.n) + r.range(1, 9)) }),
        (s, r) => ({ ...s, city: r.pickOther(cities, s.city!) }),
        (s) => ({ ...s, what: 'snow' }),
      ],
    },
    {
      slots: (rng) => ({ good: rng.pick(goods), n: num(rng), month: rng.pick(MONTHS), dir: 'rose' }),
      say: [
        (s) => `The price of ${s.good} ${s.dir} by ${s.n} percent in ${s.month}.`,
        (s) => `In ${s.month}, ${s.good} became ${s.n} percent ${s.dir === 'rose' ? 'more' : 'less'} expensive.`,
        (s) => `${s.good!.charAt(0).toUpperCase() + s.good!.slice(1)} prices ${s.dir} ${s.n} percent in ${s.month}.`,
      ],
      change: [
        (s) => ({ ...s, dir: 'fell' }),
        (s, r) => ({ ...s, n: String(Number(s.n) + r.range(1, 9)) }),
        (s, r) => ({ ...s, month: r.pickOther(MONTHS, s.month!) }),
      ],
    },
  ];
}

const newsParaphrase: TaskGenerator = {
  name: 'gen_news_paraphrase',
  mirrors: 'mrpc',
  category: 'paraphrase',
  type: 'classification',
  metric: 'accuracy',
  fields: ['sentence1', 'sentence2'],
  labels: MRPC_LABELS,
  description: 'Do two news sentences mean the same (same_meaning / different_meaning)? Four event kinds (store openings, match results, road closures, prices), each reworded three ways or changed in one detail.',
  build(world) {
    const kinds = newsKinds(world);
    return (rng) => {
      const kind = rng.pick(kinds);
      const s = kind.slots(rng);
      const i = rng.int(kind.say.length);
      const same = rng.chance(0.5);
      const second = same ? kind.say[rng.pickOther([...kind.say.keys()], i)]!(s) : rng.pick(kind.say)(rng.pick(kind.change)(s, rng));
      return classify({ sentence1: kind.say[i]!(s), sentence2: second }, MRPC_LABELS, same ? 'same_meaning' : 'different_meaning');
    };
  },
};

const PAWS_LABELS = ['mismatch', 'match'];
// [sentence, same meaning with the roles swapped in wording, different meaning with the same words]
const ROLE_FRAMES: ((a: string, b: string, x: string) => [string, string, string])[] = [
  (a, b, x) => [`${a} moved from ${x} to the coast in ${b}.`, `In ${b}, ${a} moved from ${x} to the coast.`, `${a} moved from the coast to ${x} in ${b}.`],
  (a, b) => [`${a} is older than ${b}.`, `${b} is younger than ${a}.`, `${b} is older than ${a}.`],
  (a, b, x) => [`${a} gave ${b} a book about ${x}.`, `${a} gave a book about ${x} to ${b}.`, `${b} gave ${a} a book about ${x}.`],
  (a, b) => [`${a} arrived at the party before ${b}.`, `${b} arrived at the party after ${a}.`, `${b} arrived at the party before ${a}.`],
  (a, b, x) => [`${a} sold a house in ${x} to ${b}.`, `${b} bought a house in ${x} from ${a}.`, `${b} sold a house in ${x} to ${a}.`],
  (a, b) => [`${a} was taught to paint by ${b}.`, `${b} taught ${a} to paint.`, `${a} taught ${b} to paint.`],
];

const roleSwap: TaskGenerator = {
  name: 'gen_role_swap',
  mirrors: 'paws',
  category: 'paraphrase',
  type: 'classification',
  metric: 'accuracy',
  fields: ['sentence1', 'sentence2'],
  labels: PAWS_LABELS,
  description: 'PAWS-style pairs with high word overlap (match / mismatch): a rewording that keeps who did what, or a swap of roles that changes it; six relation frames.',
  build(world) {
    const places = inventWords(world, 10, { proper: true });
    return (rng) => {
      const frame = rng.int(ROLE_FRAMES.length);
      const [a, b] = rng.sample(PEOPLE, 2);
      const [s, same, diff] = ROLE_FRAMES[frame]!(a!, frame === 0 ? rng.pick(MONTHS) : b!, rng.pick(places));
      const match = rng.chance(0.5);
      const [first, second] = rng.chance(0.5) ? [s, match ? same : diff] : [match ? same : diff, s];
      return classify({ sentence1: first, sentence2: second }, PAWS_LABELS, match ? 'match' : 'mismatch');
    };
  },
};

const QQP_LABELS = ['distinct', 'duplicate'];
// [goal, a related goal sharing its words]
const GOALS: [string, string][] = [
  ['learn to play the guitar', 'learn to tune a guitar'],
  ['cook rice without a rice cooker', 'clean a rice cooker'],
  ['get better at chess', 'get a chess rating'],
  ['save money on groceries', 'save money on rent'],
  ['stop my dog from barking', 'stop my dog from chewing shoes'],
  ['fall asleep faster', 'wake up earlier'],
  ['improve my handwriting', 'improve my typing speed'],
  ['grow tomatoes on a balcony', 'grow basil on a windowsill'],
  ['prepare for a job interview', 'prepare for a driving test'],
  ['remove a coffee stain from a shirt', 'remove a wine stain from a carpet'],
  ['make friends in a new city', 'find a flat in a new city'],
  ['keep my laptop from overheating', 'speed up my old laptop'],
  ['learn Spanish quickly', 'learn Spanish grammar'],
  ['lose weight safely', 'gain weight safely'],
  ['write a good cover letter', 'write a good resignation letter'],
  ['fix a flat bicycle tyre', 'fix a squeaky bicycle brake'],
  ['train for a marathon', 'recover after a marathon'],
  ['take better photos with my phone', 'back up the photos on my phone'],
  ['stop procrastinating', 'stop snoring'],
  ['start a vegetable garden', 'start a book club'],
];
const QUESTION_FORMS = ['How can I {g}?', 'What is the best way to {g}?', 'What should I do to {g}?', 'Any tips on how to {g}?', 'How do people {g}?',
  'How can one {g}?', 'Is there an easy way to {g}?', 'What steps should I follow to {g}?', "What's the quickest way to {g}?"];
const QUALIFIERS = ['in one week', 'for free', 'without any help', 'at the age of seventy'];

const questionDuplicates: TaskGenerator = {
  name: 'gen_question_duplicates',
  mirrors: 'qqp',
  category: 'paraphrase',
  type: 'classification',
  metric: 'accuracy',
  fields: ['question1', 'question2'],
  labels: QQP_LABELS,
  description: 'Do two how-to questions ask the same thing (duplicate / distinct)? Twenty goals in nine question forms; distinct pairs use a related goal or add a qualifier.',
  build() {
    return (rng) => {
      const [goal, related] = rng.pick(GOALS);
      const [f1, f2] = rng.sample(QUESTION_FORMS, 2);
      const dup = rng.chance(0.5);
      let other = goal;
      if (!dup) other = rng.chance(0.5) ? related : `${goal} ${rng.pick(QUALIFIERS)}`;
      return classify(
        { question1: f1!.replace('{g}', goal), question2: f2!.replace('{g}', other) },
        QQP_LABELS,
        dup ? 'duplicate' : 'distinct',
      );
    };
  },
};

export const PARAPHRASE: TaskGenerator[] = [newsParaphrase, roleSwap, questionDuplicates];
