// The built-in arithmetic reasoning suite: generated word problems of 2–5 steps with a gold
// chain of thought, a training set, an in-distribution test set and three out-of-distribution
// test sets (other templates, larger numbers, distractor sentences). The same seed gives the same
// suite, byte for byte; no question text appears in two splits.

import { NodeFailure } from '../../plugin/api.js';
import { deriveSeed, Rng } from '../nn/train/rng.js';
import { DISTRACTORS, fill, IN_DISTRIBUTION_TEMPLATES, OOD_TEMPLATES, PEOPLE, type Slots, type Template } from './templates.js';
import { answerLine, applyOp, stepLine, type ArithProblem, type ChainStep, type Op } from './types.js';

/** How big the numbers are. */
export interface NumberRange {
  start: [number, number];
  addSub: [number, number];
  factor: [number, number];
  divisor: [number, number];
  /** Multiplying is allowed while the value times the smallest factor stays at most this. */
  cap: number;
  /** When set, adding is allowed only up to this value too. */
  sumCap?: number;
}

export const SMALL_NUMBERS: NumberRange = { start: [5, 40], addSub: [1, 20], factor: [2, 4], divisor: [2, 6], cap: 400 };
/** Results stay below 100, so each is one token of a small BPE vocabulary: arithmetic a tiny model can learn. */
export const TINY_NUMBERS: NumberRange = { start: [2, 20], addSub: [1, 9], factor: [2, 3], divisor: [2, 5], cap: 99, sumCap: 99 };
export const LARGE_NUMBERS: NumberRange = { start: [100, 999], addSub: [50, 900], factor: [2, 9], divisor: [2, 12], cap: 50_000 };

export interface SplitSpec {
  name: string;
  templates: Template[];
  numbers: NumberRange;
  /** Distractor sentences per question (0 for none). */
  distractors: [number, number];
}

export const SPLITS = ['train', 'test', 'ood-templates', 'ood-numbers', 'ood-distractors'] as const;
export type SplitName = (typeof SPLITS)[number];

export interface SuiteOptions {
  seed: number;
  trainSize: number;
  /** Rows of the in-distribution test set and of each OOD set. */
  testSize: number;
  minSteps?: number;
  maxSteps?: number;
  /** The numbers of every split but ood-numbers (which keeps LARGE_NUMBERS): 'small' (default) or 'tiny'. */
  numbers?: NumberScale;
}

export type NumberScale = 'small' | 'tiny';
export const NUMBER_SCALES: Record<NumberScale, NumberRange> = { small: SMALL_NUMBERS, tiny: TINY_NUMBERS };

export type Suite = Record<SplitName, ArithProblem[]>;

export function splitSpecs(scale: NumberScale = 'small'): Record<SplitName, SplitSpec> {
  const id = IN_DISTRIBUTION_TEMPLATES;
  const numbers = NUMBER_SCALES[scale];
  return {
    train: { name: 'train', templates: id, numbers, distractors: [0, 0] },
    test: { name: 'test', templates: id, numbers, distractors: [0, 0] },
    'ood-templates': { name: 'ood-templates', templates: OOD_TEMPLATES, numbers, distractors: [0, 0] },
    'ood-numbers': { name: 'ood-numbers', templates: id, numbers: LARGE_NUMBERS, distractors: [0, 0] },
    'ood-distractors': { name: 'ood-distractors', templates: id, numbers, distractors: [1, 2] },
  };
}

const between = (rng: Rng, [lo, hi]: [number, number]) => lo + rng.int(hi - lo + 1);
const pick = <T>(rng: Rng, xs: readonly T[]): T => xs[rng.int(xs.length)]!; // every caller passes a non-empty list

/** The operations allowed on `value` (positive integers stay positive integers), with their operands. */
export function nextStep(rng: Rng, value: number, r: NumberRange): { op: Op; operand: number } {
  const options: { op: Op; weight: number; operand: () => number }[] = [];
  const addMax = Math.min(r.addSub[1], (r.sumCap ?? Infinity) - value);
  if (addMax >= r.addSub[0]) options.push({ op: '+', weight: 35, operand: () => between(rng, [r.addSub[0], addMax]) });
  if (value > r.addSub[0]) options.push({ op: '-', weight: 35, operand: () => between(rng, [r.addSub[0], Math.min(r.addSub[1], value - 1)]) });
  if (value * r.factor[0] <= r.cap) {
    const hi = Math.max(r.factor[0], Math.min(r.factor[1], Math.floor(r.cap / value)));
    options.push({ op: '*', weight: 15, operand: () => between(rng, [r.factor[0], hi]) });
  }
  const divisors: number[] = [];
  for (let d = r.divisor[0]; d <= r.divisor[1]; d++) if (value % d === 0 && value / d >= 1) divisors.push(d);
  if (divisors.length > 0) options.push({ op: '/', weight: 15, operand: () => pick(rng, divisors) });
  let roll = rng.int(options.reduce((s, o) => s + o.weight, 0));
  for (const o of options) {
    if (roll < o.weight) return { op: o.op, operand: o.operand() };
    roll -= o.weight;
  }
  throw new Error('unreachable');
}

/** One problem of a split. */
export function generateProblem(rng: Rng, spec: SplitSpec, id: string, steps: [number, number]): ArithProblem {
  const template = pick(rng, spec.templates);
  const person = pick(rng, PEOPLE);
  const friend = pick(rng, PEOPLE.filter((p) => p !== person)).name;
  const item = pick(rng, template.subjects);
  const slots: Slots = { person, friend, item };
  const n = (text: string, value: number) => fill(text, slots).replace('{n}', String(value));

  const start = between(rng, spec.numbers.start);
  const chain: ChainStep[] = [];
  const lines = [stepStart(fill(template.start.phrase, slots), start)];
  let value = start;
  const count = between(rng, steps);
  for (let i = 0; i < count; i++) {
    const { op, operand } = nextStep(rng, value, spec.numbers);
    const phrasing = pick(rng, template.ops[op]);
    const after = applyOp(value, op, operand);
    const phrase = fill(phrasing.phrase, slots);
    chain.push({ op, operand, sentence: n(phrasing.sentence, operand), phrase });
    lines.push(stepLine(phrase, value, op, operand, after));
    value = after;
  }
  lines.push(answerLine(value));

  const sentences = [n(template.start.sentence, start), ...chain.map((s) => s.sentence)];
  const distractors: number[] = [];
  const extra = between(rng, spec.distractors);
  for (let i = 0; i < extra; i++) {
    const number = between(rng, [2, 20]);
    distractors.push(number);
    // Anywhere after the opening sentence, so the start value stays first.
    sentences.splice(1 + rng.int(sentences.length), 0, n(pick(rng, DISTRACTORS), number));
  }
  const question = fill(template.question, slots);
  const text = template.questionFirst ? [question, ...sentences].join(' ') : [...sentences, question].join(' ');
  return {
    id,
    split: spec.name,
    template: template.name,
    subject: item,
    question: text,
    startPhrase: fill(template.start.phrase, slots),
    start,
    steps: chain,
    distractors,
    rationale: lines.join('\n'),
    answer: value,
  };
}

function stepStart(phrase: string, start: number): string {
  return `${phrase.replace('{n}', String(start))}.`;
}

/** The whole suite; throws when a split cannot reach its size without repeating a question. */
export function generateSuite(options: SuiteOptions): Suite {
  const steps: [number, number] = [options.minSteps ?? 2, options.maxSteps ?? 5];
  if (!(Number.isInteger(steps[0]) && Number.isInteger(steps[1]) && steps[0] >= 1 && steps[0] <= steps[1])) {
    throw new NodeFailure(`steps must satisfy 1 ≤ minSteps ≤ maxSteps, got ${steps[0]}..${steps[1]}`);
  }
  const scale = options.numbers ?? 'small';
  if (!(scale in NUMBER_SCALES)) throw new NodeFailure(`numbers must be one of ${Object.keys(NUMBER_SCALES).join(', ')}, got ${JSON.stringify(scale)}`);
  const specs = splitSpecs(scale);
  const seen = new Set<string>();
  const suite = {} as Suite;
  SPLITS.forEach((name, index) => {
    const size = name === 'train' ? options.trainSize : options.testSize;
    const rng = new Rng(deriveSeed(options.seed, index));
    const rows: ArithProblem[] = [];
    for (let attempts = 0; rows.length < size; attempts++) {
      if (attempts > 50 * size + 100) throw new NodeFailure(`split ${name}: only ${rows.length} distinct questions after ${attempts} attempts (asked for ${size})`);
      const p = generateProblem(rng, specs[name], `${name}-${rows.length}`, steps);
      if (seen.has(p.question)) continue;
      seen.add(p.question);
      rows.push(p);
    }
    suite[name] = rows;
  });
  return suite;
}
