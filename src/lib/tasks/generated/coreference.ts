// coreference: who does a blank or pronoun stand for? Each verb frame (the latent sub-type)
// has two reasons, one pointing at the subject and one at the object; pool sentences with the
// same frame and reason show which.

import { PEOPLE, pronounOf, samePair } from './lexicon.js';
import type { Rng } from './rng.js';
import { classify, multipleChoice, type TaskGenerator } from './types.js';

// [clause with {a} and {b}, reason pointing at a, reason pointing at b]; _ is the referent slot.
type Frame = [string, string, string];

const BLANK_FRAMES: Frame[] = [
  ['{a} thanked {b}', 'because _ was grateful for the help', 'because _ had helped with the move'],
  ['{a} apologized to {b}', 'because _ had broken the vase', 'because _ was upset about the broken vase'],
  ['{a} paid {b}', 'because _ owed money for the repairs', 'because _ had fixed the roof'],
  ['{a} beat {b} at chess', 'because _ played a brilliant game', 'because _ made a careless blunder'],
  ['{a} taught {b} to swim', 'because _ was a trained lifeguard', 'because _ was afraid of deep water'],
  ['{a} lent {b} a bicycle', 'because _ had a spare one', 'because _ needed one for the week'],
  ['{a} visited {b} in hospital', 'because _ was worried', 'because _ was recovering from surgery'],
  ['{a} called {b} for advice', 'because _ was unsure what to do', 'because _ knew the law well'],
  ['{a} waited for {b} at the station', 'because _ arrived early', 'because _ was running late'],
  ['{a} envied {b}', 'because _ had never won a prize', 'because _ had just won a prize'],
];

const PRONOUN_FRAMES: Frame[] = [
  ['{a} scolded {b}', 'because _ was angry about the mess', 'because _ had made a mess'],
  ['{a} congratulated {b}', 'because _ was proud of the result', 'because _ had won the race'],
  ['{a} warned {b} about the ice', 'because _ had slipped there before', 'because _ was walking too fast'],
  ['{a} hired {b}', 'because _ needed a good accountant', 'because _ had excellent references'],
  ['{a} comforted {b}', 'because _ was a kind friend', 'because _ was crying'],
  ['{a} interrupted {b}', 'because _ was impatient', 'because _ was talking for too long'],
  ['{a} forgave {b}', 'because _ had a generous heart', 'because _ had apologized sincerely'],
  ['{a} followed {b} through the forest', 'because _ did not know the path', 'because _ knew the way'],
];

function frameSentence(rng: Rng, frames: Frame[]) {
  const [clause, reasonA, reasonB] = rng.pick(frames);
  const [a, b] = samePair(rng);
  const toA = rng.chance(0.5);
  const text = `${clause.replace('{a}', a).replace('{b}', b)} ${toA ? reasonA : reasonB}.`;
  return { a, b, text, referent: toA ? a : b };
}

const blankFill: TaskGenerator = {
  name: 'gen_blank_fill',
  mirrors: 'winogrande',
  category: 'coreference',
  type: 'multiple_choice',
  metric: 'accuracy',
  fields: ['sentence'],
  labels: [],
  description: 'Fill the blank with one of two same-gender names; ten verb frames, each with a reason that points at the subject and one that points at the object.',
  build() {
    return (rng) => {
      const s = frameSentence(rng, BLANK_FRAMES);
      return { fields: { sentence: s.text }, options: [s.a, s.b], output: s.referent };
    };
  },
};

const PRONOUN_LABELS = ['different', 'same'];

const pronounCheck: TaskGenerator = {
  name: 'gen_pronoun_check',
  mirrors: 'wsc',
  category: 'coreference',
  type: 'classification',
  metric: 'accuracy',
  fields: ['text', 'span1_text', 'span2_text'],
  labels: PRONOUN_LABELS,
  description: 'Does the pronoun refer to the named person? Label words same/different; eight verb frames with subject- and object-pointing reasons.',
  build() {
    return (rng) => {
      const s = frameSentence(rng, PRONOUN_FRAMES);
      const pron = pronounOf(s.a).subj;
      const text = s.text.replace('_', pron);
      const span1 = rng.chance(0.5) ? s.a : s.b;
      return classify({ text, span1_text: span1, span2_text: pron }, PRONOUN_LABELS, span1 === s.referent ? 'same' : 'different');
    };
  },
};

// [template, x things, y things, adjective pointing at x, adjective pointing at y]
const OBJECT_FRAMES: [string, string[], string[], string, string][] = [
  ['The {x} would not fit into the {y} because it was too {adj}.', ['trophy', 'lamp', 'painting', 'guitar', 'mattress', 'telescope'],
    ['suitcase', 'box', 'drawer', 'car boot', 'cupboard', 'backpack'], 'big', 'small'],
  ['The {x} could not hold the {y} because it was too {adj}.', ['shelf', 'branch', 'table', 'chair', 'cart'],
    ['anvil', 'piano', 'bookcase', 'boulder', 'safe'], 'weak', 'heavy'],
  ['The {x} could not reach the {y} because it was too {adj}.', ['ladder', 'hose', 'rope', 'cable', 'pole'],
    ['roof', 'window', 'balcony', 'attic', 'chimney'], 'short', 'high'],
  ['The {x} overtook the {y} because it was so {adj}.', ['hare', 'horse', 'cheetah', 'greyhound'],
    ['tortoise', 'snail', 'cow', 'sloth'], 'fast', 'slow'],
  ['The {x} was hidden behind the {y} because it was so {adj}.', ['kitten', 'coin', 'key', 'mouse'],
    ['curtain', 'sofa', 'wardrobe', 'door'], 'small', 'large'],
];

const referentChoice: TaskGenerator = {
  name: 'gen_referent_choice',
  mirrors: 'wsc273',
  category: 'coreference',
  type: 'multiple_choice',
  metric: 'accuracy',
  fields: ['text', 'pronoun'],
  labels: [],
  description: 'Winograd-style object sentences: which object does "it" refer to? Five frames, each with an adjective that points at the first object and one that points at the second.',
  build() {
    return (rng) => {
      const [tpl, xs, ys, adjX, adjY] = rng.pick(OBJECT_FRAMES);
      const x = rng.pick(xs);
      const y = rng.pick(ys);
      const toX = rng.chance(0.5);
      const core = tpl.replace('{x}', x).replace('{y}', y).replace('{adj}', toX ? adjX : adjY);
      // A varied lead-in keeps sentences distinct without touching the frame.
      const text = rng.chance(0.5) ? core : `${rng.pick(PEOPLE)} ${rng.pick(['said', 'noticed', 'complained'])} that ${core.charAt(0).toLowerCase()}${core.slice(1)}`;
      return multipleChoice(rng, { text, pronoun: 'it' }, `the ${toX ? x : y}`, [`the ${toX ? y : x}`]);
    };
  },
};

export const COREFERENCE: TaskGenerator[] = [blankFill, pronounCheck, referentChoice];
