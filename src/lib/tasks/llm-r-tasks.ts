// The 30 LLM-R tasks (Wang et al., EACL 2024, Table 8) as LLM-R's code renders and scores them
// (microsoft/LMOps, llm_retriever/src/tasks/<task>.py): the first template (templates[0], the one
// misc/format_all_tasks.py uses), the label words (possible_answers), the field preparation each
// task's _load_raw_data does, and the metric of evaluation/metrics.py.
//
// Field names follow the shared task folders (/work/shared/data/tasks) where a task exists there,
// and the Hugging Face dataset columns otherwise (piqa, wsc273, qnli, gigaword). Where a folder
// lacks a field the template reads (openbookqa's fact, squad's title) the template leaves that
// part out; the golden prompts in test/tasks/llm-r-prompts.test.ts show every task.

import { DEFAULT_SCORING, collapseSpaces, fillTemplate, type TaskScoring, type TaskSpec } from './spec.js';

const YES_NO = { false: 'No', true: 'Yes' };
const NLI3 = { entailment: 'Yes', neutral: 'Maybe', contradiction: 'No' };
const NLI2 = { entailment: 'Yes', not_entailment: 'No' };
const SENTIMENT = { negative: 'Negative', positive: 'Positive' };

type Fields = Record<string, string>;

/** A field the task declares: the registry uses a spec only for folders that have all of them. */
function field(f: Fields, name: string): string {
  const value = f[name];
  if (value === undefined) throw new RangeError(`task field "${name}" has no value`);
  return value;
}

interface Entry {
  name: string;
  llmRName?: string;
  category: TaskSpec['category'];
  type: TaskSpec['type'];
  metric: TaskSpec['metric'];
  secondary?: TaskSpec['secondary'];
  heldOut?: boolean;
  /** Raw fields a row must have. */
  fields: string[];
  /** templates[0] of LLM-R's task file, verbatim. */
  query: string;
  /** The values the template's placeholders take (LLM-R's dataset map); default: the raw fields. A missing one is fillTemplate's error. */
  prepare?: (f: Fields) => Partial<Fields>;
  /** Renders the query when it needs more than filling placeholders (a missing optional field). */
  render?: (f: Fields) => string;
  verbalizer?: Record<string, string>;
  options?: TaskSpec['options'];
  answer?: TaskSpec['answer'];
  scoring?: Partial<TaskScoring>;
}

function spec(e: Entry): TaskSpec {
  const verbalizer = e.verbalizer ?? {};
  const prepare = e.prepare ?? ((f: Fields): Partial<Fields> => f);
  return {
    name: e.name,
    category: e.category,
    type: e.type,
    metric: e.metric,
    secondary: e.secondary ?? [],
    heldOut: e.heldOut ?? false,
    fields: e.fields,
    verbalizer,
    labels: e.type === 'classification' ? [...new Set(Object.values(verbalizer))] : [],
    template: e.render ?? ((f) => fillTemplate(e.query, prepare(f))),
    query: e.query,
    ...(e.llmRName ? { llmRName: e.llmRName } : {}),
    ...(e.options ? { options: e.options } : {}),
    ...(e.answer ? { answer: e.answer } : {}),
    scoring: { ...DEFAULT_SCORING, ...e.scoring },
  };
}

/** Text before and after the first "_" of a WinoGrande sentence. */
function splitBlank(sentence: string): [string, string] {
  const at = sentence.indexOf('_');
  return at < 0 ? [sentence, ''] : [sentence.slice(0, at), sentence.slice(at + 1)];
}

/** WSC273: the text up to the pronoun, and the text after it. */
function splitPronoun(f: Fields): [string, string] {
  const at = Number(f.pronoun_loc);
  const pronoun = f.pronoun ?? '';
  const text = field(f, 'text');
  return Number.isInteger(at) && at >= 0 ? [text.slice(0, at), text.slice(at + pronoun.length)] : [text, ''];
}

/** DART: triples as LLM-R joins them ("s, p, o; s, p, o"), table markers such as [TITLE] removed. */
function dartTriples(tripleset: string): string {
  return tripleset.replace(/ \| /g, ', ').replace(/\[(.*?)\]/g, '');
}

/** Yelp: LLM-R deletes escaped quotes and turns escaped blank lines into a space. */
function yelpText(text: string): string {
  return text.replace(/\\"/g, '').replace(/\\n\\n/g, ' ');
}

const ROUGE_ONE_TARGET: Partial<TaskScoring> = { references: 'first', rouge: 'pltrdy' };

const entries: Entry[] = [
  // close_qa
  { name: 'nq', llmRName: 'natural_questions', category: 'close_qa', type: 'generation', metric: 'exact_match', secondary: ['token_f1'], fields: ['question'],
    query: 'Question: {question} Answer:', prepare: (f) => ({ question: `${f.question}?` }),
    scoring: { references: 'max', normalization: 'trivia_qa' } },
  { name: 'arc_c', category: 'close_qa', type: 'multiple_choice', metric: 'accuracy', fields: ['question'], query: '{question}' },
  { name: 'arc_e', category: 'close_qa', type: 'multiple_choice', metric: 'accuracy', fields: ['question'], query: '{question}' },
  // commonsense
  { name: 'copa', category: 'commonsense', type: 'multiple_choice', metric: 'accuracy', fields: ['premise', 'question'],
    query: '"{premise}" What is the {question}?' },
  { name: 'hellaswag', category: 'commonsense', type: 'multiple_choice', metric: 'accuracy', fields: ['context'],
    query: 'What happens next in this paragraph? {context}',
    prepare: (f) => ({ context: field(f, 'context').replace(/\[.*?\]\s/g, '').trim() }),
    options: (_, options) => options.map((o) => o.replace(/\[.*?\]\s/g, '')) },
  { name: 'piqa', category: 'commonsense', type: 'multiple_choice', metric: 'accuracy', heldOut: true, fields: ['goal'],
    query: 'Here is a goal: "{goal}" How would you accomplish this goal?' },
  // coreference
  { name: 'winogrande', category: 'coreference', type: 'multiple_choice', metric: 'accuracy', fields: ['sentence'],
    query: 'How does the sentence end? {context}',
    prepare: (f) => ({ context: splitBlank(field(f, 'sentence'))[0].trim() }),
    // Partial scoring: each candidate is scored together with the rest of the sentence.
    options: (f, options) => options.map((o) => o + splitBlank(field(f, 'sentence'))[1]) },
  { name: 'wsc', category: 'coreference', type: 'classification', metric: 'accuracy', fields: ['text', 'span1_text', 'span2_text'],
    query: '{context} Are "{text1}" and "{text2}" the same entity?', verbalizer: YES_NO,
    prepare: (f) => ({ context: f.text, text1: f.span1_text, text2: f.span2_text }) },
  { name: 'wsc273', category: 'coreference', type: 'multiple_choice', metric: 'accuracy', heldOut: true, fields: ['text', 'pronoun', 'pronoun_loc'],
    query: '{context}', prepare: (f) => ({ context: splitPronoun(f)[0] }),
    options: (f, options) => options.map((o) => o + splitPronoun(f)[1]) },
  // nli
  { name: 'rte', category: 'nli', type: 'classification', metric: 'accuracy', fields: ['premise', 'hypothesis'], verbalizer: NLI2,
    query: '{premise} Based on the paragraph above can we conclude that "{hypothesis}"? Yes or No?' },
  { name: 'mnli', llmRName: 'mnli_m', category: 'nli', type: 'classification', metric: 'accuracy', fields: ['premise', 'hypothesis'], verbalizer: NLI3,
    query: 'Premise: "{premise}" Hypothesis: "{hypothesis}" Does the premise entail the hypothesis? Yes, No, or Maybe?' },
  { name: 'mnli_mm', category: 'nli', type: 'classification', metric: 'accuracy', fields: ['premise', 'hypothesis'], verbalizer: NLI3,
    query: 'Premise: "{premise}" Hypothesis: "{hypothesis}" Does the premise entail the hypothesis? Yes, No, or Maybe?' },
  { name: 'qnli', category: 'nli', type: 'classification', metric: 'accuracy', heldOut: true, fields: ['question', 'sentence'], verbalizer: NLI2,
    query: 'Does the sentence "{sentence}" answer the question "{question}"?' },
  { name: 'snli', category: 'nli', type: 'classification', metric: 'accuracy', fields: ['premise', 'hypothesis'], verbalizer: NLI3,
    query: 'If "{premise}", does this mean that "{hypothesis}"? Yes, No, or Maybe?' },
  // paraphrase (the paper's tables give accuracy; LLM-R's code also reports F1 for mrpc and qqp: secondary)
  { name: 'mrpc', category: 'paraphrase', type: 'classification', metric: 'accuracy', secondary: ['f1'], fields: ['sentence1', 'sentence2'],
    verbalizer: { not_equivalent: 'No', equivalent: 'Yes' },
    query: 'Here are two sentences: {sentence1} {sentence2} Do they have the same meaning?' },
  { name: 'paws', category: 'paraphrase', type: 'classification', metric: 'accuracy', fields: ['sentence1', 'sentence2'],
    verbalizer: { not_duplicate: 'No', duplicate: 'Yes' },
    query: '{sentence1} {sentence2} Do these sentences mean the same thing?' },
  { name: 'qqp', category: 'paraphrase', type: 'classification', metric: 'accuracy', secondary: ['f1'], fields: ['question1', 'question2'],
    verbalizer: { not_duplicate: 'No', duplicate: 'Yes' },
    query: '"{question1}" "{question2}" Would you say that these questions are the same?',
    prepare: (f) => ({ question1: field(f, 'question1').replaceAll('""', "'"), question2: field(f, 'question2').replaceAll('""', "'") }) },
  // reading_comprehension
  { name: 'multirc', category: 'reading_comprehension', type: 'classification', metric: 'f1', fields: ['paragraph', 'question', 'answer'],
    verbalizer: YES_NO,
    query: '{paragraph} Question: "{question}" Response: "{response}" Does the response correctly answer the question?',
    prepare: (f) => ({ paragraph: f.paragraph, question: f.question, response: f.answer }) },
  { name: 'openbookqa', category: 'reading_comprehension', type: 'multiple_choice', metric: 'accuracy', fields: ['question'],
    query: '{fact} {question}',
    // The shared folder has no fact (the "additional" release's fact1): the question stands alone.
    render: (f) => (f.fact ? `${f.fact} ${field(f, 'question')}` : field(f, 'question')) },
  { name: 'squad_v1', category: 'reading_comprehension', type: 'generation', metric: 'exact_match', secondary: ['token_f1'], fields: ['context', 'question'],
    query: 'Please answer a question about the following article about {title}: {context} {question}',
    // Without a title (the shared folder keeps none) the "about {title}" part is left out.
    render: (f) => (f.title
      ? `Please answer a question about the following article about ${f.title.replace(/_/g, ' ')}: ${f.context} ${f.question}`
      : `Please answer a question about the following article: ${f.context} ${f.question}`),
    scoring: { references: 'max', normalization: 'squad' } },
  { name: 'boolq', category: 'reading_comprehension', type: 'classification', metric: 'accuracy', fields: ['passage', 'question'],
    verbalizer: YES_NO, query: '{text} Can we conclude that {question}?',
    prepare: (f) => ({ text: f.passage, question: f.question }) },
  // sentiment
  { name: 'yelp', category: 'sentiment', type: 'classification', metric: 'accuracy', heldOut: true, fields: ['text'], verbalizer: SENTIMENT,
    query: '{text} Is this review positive or negative?', prepare: (f) => ({ text: yelpText(field(f, 'text')) }) },
  { name: 'sentiment140', category: 'sentiment', type: 'classification', metric: 'accuracy', fields: ['text'], verbalizer: SENTIMENT,
    query: '{text} What is the sentiment of this tweet?' },
  { name: 'sst2', category: 'sentiment', type: 'classification', metric: 'accuracy', fields: ['sentence'], verbalizer: SENTIMENT,
    query: 'Review: "{sentence}" Is this movie review sentence negative or positive?' },
  // data_to_text
  { name: 'common_gen', category: 'data_to_text', type: 'generation', metric: 'rouge_l', fields: ['concepts'],
    query: 'Concepts: {concepts}. Write a sentence that includes all these words.',
    scoring: { references: 'mean', rouge: 'pltrdy' } },
  { name: 'e2e_nlg', category: 'data_to_text', type: 'generation', metric: 'rouge_l', fields: ['meaning_representation'],
    query: 'Attributes: {meaning_representation}. Produce a detailed sentence about this restaurant.',
    prepare: (f) => ({ meaning_representation: field(f, 'meaning_representation').replace(/\[/g, ' = ').replace(/\]/g, '') }),
    scoring: ROUGE_ONE_TARGET },
  { name: 'dart', category: 'data_to_text', type: 'generation', metric: 'rouge_l', fields: ['tripleset'],
    query: 'Triple: {tripleset} What is a sentence that describes this triple?',
    prepare: (f) => ({ tripleset: dartTriples(field(f, 'tripleset')) }), scoring: ROUGE_ONE_TARGET },
  // summarize
  { name: 'aeslc', category: 'summarize', type: 'generation', metric: 'rouge_l', fields: ['email_body'],
    query: 'What is the subject line for this email? {body}', prepare: (f) => ({ body: collapseSpaces(field(f, 'email_body')) }),
    answer: collapseSpaces, scoring: ROUGE_ONE_TARGET },
  { name: 'ag_news', category: 'summarize', type: 'classification', metric: 'accuracy', fields: ['text'],
    verbalizer: { World: 'World', Sports: 'Sports', Business: 'Business', 'Sci/Tech': 'Technology' },
    query: '"{text}" What is this text about? World, Sports, Business, or Technology?' },
  { name: 'gigaword', category: 'summarize', type: 'generation', metric: 'rouge_l', fields: ['document'],
    query: 'Write a short summary for this text: {text}', prepare: (f) => ({ text: f.document }), scoring: ROUGE_ONE_TARGET },
];

export const LLM_R_TASKS: readonly TaskSpec[] = entries.map(spec);
