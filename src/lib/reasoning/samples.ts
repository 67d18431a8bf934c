// Teacher samples labelled by answer equivalence (TDG `dataset.py`): a sample whose final answer
// equals the gold answer is a positive, every other sample a negative, including one whose answer
// cannot be extracted (kept as a negative and counted, never dropped).

import { NodeFailure } from '../../plugin/api.js';
import { DataError } from '../data/errors.js';
import { readJsonLines } from '../data/jsonl.js';
import type { LanguageModel } from '../ml/lm/types.js';
import { answersMatch, extractAnswer, type AnswerFormat } from './answers.js';

export interface LabelledSample {
  /** The question's id. */
  id: string;
  /** 0-based sample index within the question. */
  sample: number;
  question: string;
  gold: string;
  text: string;
  /** The extracted final answer; null when none could be found. */
  predicted: string | null;
  positive: boolean;
  /** The built-in teacher's mistakes (absent for a language model's samples). */
  errors?: string[];
}

export interface QuestionSamples {
  id: string;
  question: string;
  gold: string;
  texts: string[];
  errors?: string[][];
}

export function labelSamples(q: QuestionSamples, format: AnswerFormat): LabelledSample[] {
  return q.texts.map((text, sample) => {
    const predicted = extractAnswer(text, format);
    return {
      id: q.id,
      sample,
      question: q.question,
      gold: q.gold,
      text,
      predicted,
      positive: answersMatch(predicted, q.gold, format),
      ...(q.errors ? { errors: q.errors[sample] } : {}),
    };
  });
}

export interface SampleStats {
  questions: number;
  samples: number;
  positives: number;
  negatives: number;
  /** Negatives without an extractable answer. */
  noAnswer: number;
  /** Questions with no positive sample (only negatives can be learnt from them). */
  withoutPositive: number;
  /** Questions with no negative sample. */
  withoutNegative: number;
}

export function sampleStats(rows: LabelledSample[]): SampleStats {
  const byQuestion = new Map<string, { pos: number; neg: number }>();
  let positives = 0;
  let noAnswer = 0;
  for (const r of rows) {
    const q = byQuestion.get(r.id) ?? { pos: 0, neg: 0 };
    if (r.positive) {
      positives++;
      q.pos++;
    } else q.neg++;
    if (r.predicted === null) noAnswer++;
    byQuestion.set(r.id, q);
  }
  const counts = [...byQuestion.values()];
  return {
    questions: byQuestion.size,
    samples: rows.length,
    positives,
    negatives: rows.length - positives,
    noAnswer,
    withoutPositive: counts.filter((c) => c.pos === 0).length,
    withoutNegative: counts.filter((c) => c.neg === 0).length,
  };
}

// ---- a teacher behind the LanguageModel interface (an OpenAI-compatible server) ----

export interface Demonstration {
  question: string;
  rationale: string;
}

/** Few-shot chain-of-thought prompt: demonstrations, then the question. */
export function reasoningPrompt(question: string, demos: Demonstration[]): string {
  const shots = demos.map((d) => `Question: ${d.question}\nAnswer: ${d.rationale}\n\n`).join('');
  return `${shots}Question: ${question}\nAnswer:`;
}

/** Where a sampled rationale ends: before the model starts the next question. */
export const RATIONALE_STOP = ['\n\nQuestion:', '\nQuestion:'];

export interface LmSamplingOptions {
  samples: number;
  temperature: number;
  maxTokens: number;
  demos: Demonstration[];
  seed?: number;
}

/** `samples` rationales per question from a language model that can sample. */
export async function sampleRationales(lm: LanguageModel, questions: string[], o: LmSamplingOptions): Promise<string[][]> {
  if (!lm.sample) throw new NodeFailure(`the language model ${lm.id} cannot sample (it decodes greedily only); use an OpenAI-compatible server`);
  const reqs = questions.map((q, i) => ({
    prompt: reasoningPrompt(q, o.demos),
    maxTokens: o.maxTokens,
    stop: RATIONALE_STOP,
    temperature: o.temperature,
    n: o.samples,
    ...(o.seed !== undefined ? { seed: o.seed + i } : {}),
  }));
  const out = await lm.sample(reqs);
  return out.map((texts) => texts.map((t) => t.trim()));
}

/** The rows of a teacher-samples `samples.jsonl`, checked; a bad row names file:line. */
export async function readSamples(file: string): Promise<LabelledSample[]> {
  const rows: LabelledSample[] = [];
  for await (const { value, line } of readJsonLines(file)) {
    const r = value as Partial<LabelledSample>;
    if (typeof r !== 'object' || r === null || typeof r.id !== 'string' || typeof r.question !== 'string' || typeof r.text !== 'string' || typeof r.positive !== 'boolean') {
      throw new DataError(file, line, 'a sample needs "id", "question", "text" (strings) and "positive" (true or false)');
    }
    rows.push(r as LabelledSample);
  }
  return rows;
}
