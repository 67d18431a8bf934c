// The 30 LLM-R tasks (Wang et al., EACL 2024, Table 8) with our own prompt wording.
// Field names follow the shared task folders (/work/shared/data/tasks) where a task exists there,
// and the Hugging Face dataset columns otherwise (piqa, wsc273, qnli, gigaword).

import { endWith, q, type TaskSpec } from './spec.js';

const YES_NO = { true: 'Yes', false: 'No' };
const NLI3 = { entailment: 'Yes', neutral: 'Maybe', contradiction: 'No' };
const NLI2 = { entailment: 'Yes', not_entailment: 'No' };
const SENTIMENT = { negative: 'Negative', positive: 'Positive' };

type Entry = Omit<TaskSpec, 'labels' | 'verbalizer'> & { verbalizer?: Record<string, string> };

function spec(e: Entry): TaskSpec {
  const verbalizer = e.verbalizer ?? {};
  return { ...e, verbalizer, labels: e.type === 'classification' ? [...new Set(Object.values(verbalizer))] : [] };
}

/** E2E meaning representations read better as `name = X, food = Y`. */
function readableMr(mr: string): string {
  return mr.replace(/\[/g, ' = ').replace(/\]/g, '');
}

const entries: Entry[] = [
  // close_qa
  { name: 'nq', category: 'close_qa', type: 'generation', metric: 'exact_match', heldOut: false, fields: ['question'],
    template: (f) => `Trivia question: ${endWith(f.question, '?')} Give a short answer.` },
  { name: 'arc_c', category: 'close_qa', type: 'multiple_choice', metric: 'accuracy', heldOut: false, fields: ['question'],
    template: (f) => `Science exam question: ${f.question}` },
  { name: 'arc_e', category: 'close_qa', type: 'multiple_choice', metric: 'accuracy', heldOut: false, fields: ['question'],
    template: (f) => `Science exam question: ${f.question}` },
  // commonsense
  { name: 'copa', category: 'commonsense', type: 'multiple_choice', metric: 'accuracy', heldOut: false, fields: ['premise', 'question'],
    template: (f) => `Situation: ${q(f.premise)} Which of these is the more plausible ${f.question === 'cause' ? 'cause' : 'consequence'}?` },
  { name: 'hellaswag', category: 'commonsense', type: 'multiple_choice', metric: 'accuracy', heldOut: false, fields: ['context'],
    template: (f) => `Continue the passage in the most sensible way. ${f.context}` },
  { name: 'piqa', category: 'commonsense', type: 'multiple_choice', metric: 'accuracy', heldOut: true, fields: ['goal'],
    template: (f) => `Task: ${q(f.goal)} Which way of doing this works?` },
  // coreference
  { name: 'winogrande', category: 'coreference', type: 'multiple_choice', metric: 'accuracy', heldOut: false, fields: ['sentence'],
    template: (f) => `Who or what belongs in the blank? ${f.sentence}` },
  { name: 'wsc', category: 'coreference', type: 'classification', metric: 'accuracy', heldOut: false,
    fields: ['text', 'span1_text', 'span2_text'], verbalizer: YES_NO,
    template: (f) => `${f.text} In this passage, does ${q(f.span2_text)} point to ${q(f.span1_text)}?` },
  { name: 'wsc273', category: 'coreference', type: 'multiple_choice', metric: 'accuracy', heldOut: true, fields: ['text', 'pronoun'],
    template: (f) => `${f.text} Here, who or what does ${q(f.pronoun)} stand for?` },
  // nli
  { name: 'rte', category: 'nli', type: 'classification', metric: 'accuracy', heldOut: false, fields: ['premise', 'hypothesis'],
    verbalizer: NLI2, template: (f) => `${f.premise} Given this text, is it true that ${q(f.hypothesis)}? Yes or No?` },
  { name: 'mnli', category: 'nli', type: 'classification', metric: 'accuracy', heldOut: false, fields: ['premise', 'hypothesis'],
    verbalizer: NLI3, template: (f) => `Statement: ${q(f.premise)} Claim: ${q(f.hypothesis)} If the statement holds, does the claim follow? Yes, No, or Maybe?` },
  { name: 'mnli_mm', category: 'nli', type: 'classification', metric: 'accuracy', heldOut: false, fields: ['premise', 'hypothesis'],
    verbalizer: NLI3, template: (f) => `Statement: ${q(f.premise)} Claim: ${q(f.hypothesis)} If the statement holds, does the claim follow? Yes, No, or Maybe?` },
  { name: 'qnli', category: 'nli', type: 'classification', metric: 'accuracy', heldOut: true, fields: ['question', 'sentence'],
    verbalizer: NLI2, template: (f) => `Question: ${q(f.question)} Sentence: ${q(f.sentence)} Does the sentence hold the answer to the question?` },
  { name: 'snli', category: 'nli', type: 'classification', metric: 'accuracy', heldOut: false, fields: ['premise', 'hypothesis'],
    verbalizer: NLI3, template: (f) => `Scene: ${q(f.premise)} Is it then the case that ${q(f.hypothesis)}? Yes, No, or Maybe?` },
  // paraphrase
  { name: 'mrpc', category: 'paraphrase', type: 'classification', metric: 'accuracy', heldOut: false, fields: ['sentence1', 'sentence2'],
    verbalizer: { not_equivalent: 'No', equivalent: 'Yes' },
    template: (f) => `First: ${f.sentence1} Second: ${f.sentence2} Do the two sentences say the same thing?` },
  { name: 'paws', category: 'paraphrase', type: 'classification', metric: 'accuracy', heldOut: false, fields: ['sentence1', 'sentence2'],
    verbalizer: { not_duplicate: 'No', duplicate: 'Yes' },
    template: (f) => `A: ${f.sentence1} B: ${f.sentence2} Is B a paraphrase of A?` },
  { name: 'qqp', category: 'paraphrase', type: 'classification', metric: 'accuracy', heldOut: false, fields: ['question1', 'question2'],
    verbalizer: { not_duplicate: 'No', duplicate: 'Yes' },
    template: (f) => `One person asks ${q(f.question1)} and another asks ${q(f.question2)} Are they asking the same thing?` },
  // reading_comprehension
  { name: 'multirc', category: 'reading_comprehension', type: 'classification', metric: 'f1', heldOut: false,
    fields: ['paragraph', 'question', 'answer'], verbalizer: YES_NO,
    template: (f) => `${f.paragraph} Question: ${q(f.question)} Candidate answer: ${q(f.answer)} Is the candidate answer right?` },
  { name: 'openbookqa', category: 'reading_comprehension', type: 'multiple_choice', metric: 'accuracy', heldOut: false, fields: ['question'],
    template: (f) => `Answer using elementary science facts: ${f.question}` },
  { name: 'squad_v1', category: 'reading_comprehension', type: 'generation', metric: 'exact_match', heldOut: false, fields: ['context', 'question'],
    template: (f) => `Passage: ${f.context} Using a span of the passage, answer: ${f.question}` },
  { name: 'boolq', category: 'reading_comprehension', type: 'classification', metric: 'accuracy', heldOut: false, fields: ['passage', 'question'],
    verbalizer: YES_NO, template: (f) => `${f.passage} According to this passage, ${endWith(f.question, '?')}` },
  // sentiment
  { name: 'yelp', category: 'sentiment', type: 'classification', metric: 'accuracy', heldOut: true, fields: ['text'],
    verbalizer: SENTIMENT, template: (f) => `Business review: ${f.text} Is the reviewer's verdict negative or positive?` },
  { name: 'sentiment140', category: 'sentiment', type: 'classification', metric: 'accuracy', heldOut: false, fields: ['text'],
    verbalizer: SENTIMENT, template: (f) => `Tweet: ${f.text} Is the mood of this tweet negative or positive?` },
  { name: 'sst2', category: 'sentiment', type: 'classification', metric: 'accuracy', heldOut: false, fields: ['sentence'],
    verbalizer: SENTIMENT, template: (f) => `Film review excerpt: ${q(f.sentence)} Does it sound negative or positive?` },
  // data_to_text
  { name: 'common_gen', category: 'data_to_text', type: 'generation', metric: 'rouge_l', heldOut: false, fields: ['concepts'],
    template: (f) => `Write one everyday sentence that uses every one of these words: ${f.concepts}.` },
  { name: 'e2e_nlg', category: 'data_to_text', type: 'generation', metric: 'rouge_l', heldOut: false, fields: ['meaning_representation'],
    template: (f) => `Restaurant facts: ${readableMr(f.meaning_representation ?? '')}. Describe this restaurant in a sentence.` },
  { name: 'dart', category: 'data_to_text', type: 'generation', metric: 'rouge_l', heldOut: false, fields: ['tripleset'],
    template: (f) => `Facts (subject | relation | object): ${f.tripleset} State these facts in one sentence.` },
  // summarize
  { name: 'aeslc', category: 'summarize', type: 'generation', metric: 'rouge_l', heldOut: false, fields: ['email_body'],
    template: (f) => `Email: ${f.email_body} A fitting subject line for this email is:` },
  { name: 'ag_news', category: 'summarize', type: 'classification', metric: 'accuracy', heldOut: false, fields: ['text'],
    verbalizer: { World: 'World', Sports: 'Sports', Business: 'Business', 'Sci/Tech': 'Technology' },
    template: (f) => `News item: ${q(f.text)} Which section does it belong to: World, Sports, Business, or Technology?` },
  { name: 'gigaword', category: 'summarize', type: 'generation', metric: 'rouge_l', heldOut: false, fields: ['document'],
    template: (f) => `News text: ${f.document} Write a headline for it.` },
];

export const LLM_R_TASKS: readonly TaskSpec[] = entries.map(spec);
