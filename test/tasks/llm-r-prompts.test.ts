// Golden prompts: every LLM-R task rendered as LLM-R's code renders it (templates[0] of
// llm_retriever/src/tasks/<task>.py, its field preparation and label words), with the answer
// a demonstration shows and the candidates an evaluator scores.

import { describe, expect, it } from 'vitest';
import type { TaskMeta, TaskRow } from '../../src/lib/data/task.js';
import { LLM_R_TASK_NAMES, TASK_REGISTRY, answerOptions, answerReferences, renderDemonstration, taskSpecFor } from '../../src/lib/tasks/registry.js';

interface Golden {
  fields: Record<string, string>;
  options?: string[];
  output: string;
  references?: string[];
  labels?: string[];
  /** query + "\n" + answer */
  demonstration: string;
  /** What the LM scores (MC) or may answer (classification). */
  candidates?: string[];
  /** References a generation is scored against. */
  scoredAgainst?: string[];
}

const NLI3 = ['entailment', 'neutral', 'contradiction'];
const golden: Record<string, Golden> = {
  nq: { fields: { question: 'who wrote the raven' }, output: 'Edgar Allan Poe', references: ['Edgar Allan Poe', 'Poe'],
    demonstration: 'Question: who wrote the raven? Answer:\nEdgar Allan Poe', scoredAgainst: ['Edgar Allan Poe', 'Poe'] },
  arc_c: { fields: { question: 'Which gas do plants take in?' }, options: ['oxygen', 'carbon dioxide', 'helium', 'neon'], output: 'carbon dioxide',
    demonstration: 'Which gas do plants take in?\ncarbon dioxide', candidates: ['oxygen', 'carbon dioxide', 'helium', 'neon'] },
  arc_e: { fields: { question: 'What melts ice?' }, options: ['heat', 'cold'], output: 'heat', demonstration: 'What melts ice?\nheat', candidates: ['heat', 'cold'] },
  copa: { fields: { premise: 'The man turned on the faucet.', question: 'effect' }, options: ['The toilet filled with water.', 'Water flowed from the spout.'],
    output: 'Water flowed from the spout.',
    demonstration: '"The man turned on the faucet." What is the effect?\nWater flowed from the spout.',
    candidates: ['The toilet filled with water.', 'Water flowed from the spout.'] },
  hellaswag: { fields: { context: '[header] A boy is running down a track. the boy' }, options: ['runs into a car.', '[step] lifts his body.'],
    output: '[step] lifts his body.',
    demonstration: 'What happens next in this paragraph? A boy is running down a track. the boy\nlifts his body.',
    candidates: ['runs into a car.', 'lifts his body.'] },
  piqa: { fields: { goal: 'Open a jar' }, options: ['Twist the lid.', 'Hit the glass.'], output: 'Twist the lid.',
    demonstration: 'Here is a goal: "Open a jar" How would you accomplish this goal?\nTwist the lid.', candidates: ['Twist the lid.', 'Hit the glass.'] },
  winogrande: { fields: { sentence: 'Sarah was a much better surgeon than Maria so _ always got the easier cases.' }, options: ['Sarah', 'Maria'], output: 'Maria',
    demonstration: 'How does the sentence end? Sarah was a much better surgeon than Maria so\nMaria always got the easier cases.',
    candidates: ['Sarah always got the easier cases.', 'Maria always got the easier cases.'] },
  wsc: { fields: { text: 'Mark told Pete many lies about himself.', span1_text: 'Pete', span2_text: 'himself' }, options: ['false', 'true'], output: 'false',
    labels: ['false', 'true'], demonstration: 'Mark told Pete many lies about himself. Are "Pete" and "himself" the same entity?\nNo', candidates: ['No', 'Yes'] },
  wsc273: { fields: { text: 'The city councilmen refused the demonstrators a permit because they feared violence.', pronoun: 'they', pronoun_loc: '63' },
    options: ['The city councilmen', 'The demonstrators'], output: 'The city councilmen',
    demonstration: 'The city councilmen refused the demonstrators a permit because \nThe city councilmen feared violence.',
    candidates: ['The city councilmen feared violence.', 'The demonstrators feared violence.'] },
  rte: { fields: { premise: 'Dana Reeve died at 44.', hypothesis: 'Christopher Reeve had an accident.' }, options: ['entailment', 'not_entailment'],
    output: 'not_entailment', labels: ['entailment', 'not_entailment'],
    demonstration: 'Dana Reeve died at 44. Based on the paragraph above can we conclude that "Christopher Reeve had an accident."? Yes or No?\nNo',
    candidates: ['Yes', 'No'] },
  mnli: { fields: { premise: 'I like food.', hypothesis: 'I hate food.' }, options: NLI3, output: 'contradiction', labels: NLI3,
    demonstration: 'Premise: "I like food." Hypothesis: "I hate food." Does the premise entail the hypothesis? Yes, No, or Maybe?\nNo',
    candidates: ['Yes', 'Maybe', 'No'] },
  mnli_mm: { fields: { premise: 'A', hypothesis: 'B' }, options: NLI3, output: 'neutral', labels: NLI3,
    demonstration: 'Premise: "A" Hypothesis: "B" Does the premise entail the hypothesis? Yes, No, or Maybe?\nMaybe', candidates: ['Yes', 'Maybe', 'No'] },
  qnli: { fields: { question: 'Who?', sentence: 'Me.' }, options: ['entailment', 'not_entailment'], output: 'entailment', labels: ['entailment', 'not_entailment'],
    demonstration: 'Does the sentence "Me." answer the question "Who?"?\nYes', candidates: ['Yes', 'No'] },
  snli: { fields: { premise: 'A woman grins .', hypothesis: 'The woman is young .' }, options: NLI3, output: 'neutral', labels: NLI3,
    demonstration: 'If "A woman grins .", does this mean that "The woman is young ."? Yes, No, or Maybe?\nMaybe', candidates: ['Yes', 'Maybe', 'No'] },
  mrpc: { fields: { sentence1: 'He left.', sentence2: 'He went away.' }, options: ['not_equivalent', 'equivalent'], output: 'equivalent',
    labels: ['not_equivalent', 'equivalent'],
    demonstration: 'Here are two sentences: He left. He went away. Do they have the same meaning?\nYes', candidates: ['No', 'Yes'] },
  paws: { fields: { sentence1: 'A b .', sentence2: 'B a .' }, options: ['not_duplicate', 'duplicate'], output: 'not_duplicate', labels: ['not_duplicate', 'duplicate'],
    demonstration: 'A b . B a . Do these sentences mean the same thing?\nNo', candidates: ['No', 'Yes'] },
  qqp: { fields: { question1: 'What is ""Danga""?', question2: 'What is Gaddar?' }, options: ['not_duplicate', 'duplicate'], output: 'not_duplicate',
    labels: ['not_duplicate', 'duplicate'],
    demonstration: `"What is 'Danga'?" "What is Gaddar?" Would you say that these questions are the same?\nNo`, candidates: ['No', 'Yes'] },
  multirc: { fields: { paragraph: 'Forces change motion.', question: 'What changes motion?', answer: 'A force' }, options: ['false', 'true'], output: 'true',
    labels: ['false', 'true'],
    demonstration: 'Forces change motion. Question: "What changes motion?" Response: "A force" Does the response correctly answer the question?\nYes',
    candidates: ['No', 'Yes'] },
  openbookqa: { fields: { question: 'The sun is responsible for' }, options: ['puppies learning new tricks', 'plants sprouting'], output: 'plants sprouting',
    demonstration: 'The sun is responsible for\nplants sprouting', candidates: ['puppies learning new tricks', 'plants sprouting'] },
  squad_v1: { fields: { context: 'Oil prices rose in 1973.', question: 'When did oil prices rise?' }, output: '1973', references: ['1973', 'in 1973'],
    demonstration: 'Please answer a question about the following article: Oil prices rose in 1973. When did oil prices rise?\n1973',
    scoredAgainst: ['1973', 'in 1973'] },
  boolq: { fields: { question: 'is ethanol renewable', passage: 'Ethanol fuel -- Ethanol is made from crops.' }, options: ['false', 'true'], output: 'true',
    labels: ['false', 'true'], demonstration: 'Ethanol fuel -- Ethanol is made from crops. Can we conclude that is ethanol renewable?\nYes', candidates: ['No', 'Yes'] },
  yelp: { fields: { text: 'Great wings.\\n\\nLoved the \\"Cajun\\" ones.' }, options: ['negative', 'positive'], output: 'positive', labels: ['negative', 'positive'],
    demonstration: 'Great wings. Loved the Cajun ones. Is this review positive or negative?\nPositive', candidates: ['Negative', 'Positive'] },
  sentiment140: { fields: { text: 'my kindle2 rocks!!!' }, options: ['negative', 'positive'], output: 'positive', labels: ['negative', 'positive'],
    demonstration: 'my kindle2 rocks!!! What is the sentiment of this tweet?\nPositive', candidates: ['Negative', 'Positive'] },
  sst2: { fields: { sentence: 'no movement , no yuks .' }, options: ['negative', 'positive'], output: 'negative', labels: ['negative', 'positive'],
    demonstration: 'Review: "no movement , no yuks ." Is this movie review sentence negative or positive?\nNegative', candidates: ['Negative', 'Positive'] },
  common_gen: { fields: { concepts: 'drill, field, run, team' }, output: 'The team runs a drill on the field.', references: ['The team runs a drill on the field.', 'A team runs drills.'],
    demonstration: 'Concepts: drill, field, run, team. Write a sentence that includes all these words.\nThe team runs a drill on the field.',
    scoredAgainst: ['The team runs a drill on the field.', 'A team runs drills.'] },
  e2e_nlg: { fields: { meaning_representation: 'name[Blue Spice], eatType[coffee shop], area[city centre]' }, output: 'Blue Spice is a coffee shop.',
    references: ['Blue Spice is a coffee shop.', 'A coffee shop called Blue Spice.'],
    demonstration: 'Attributes: name = Blue Spice, eatType = coffee shop, area = city centre. Produce a detailed sentence about this restaurant.\nBlue Spice is a coffee shop.',
    scoredAgainst: ['Blue Spice is a coffee shop.'] },
  dart: { fields: { tripleset: 'Hawaii Five-O | NOTES | Episode: Jewels; [TABLECONTEXT] | [TITLE] | Jeff Daniels' }, output: 'Jeff Daniels played in Hawaii Five-O.',
    references: ['Jeff Daniels played in Hawaii Five-O.'],
    demonstration: 'Triple: Hawaii Five-O, NOTES, Episode: Jewels; , , Jeff Daniels What is a sentence that describes this triple?\nJeff Daniels played in Hawaii Five-O.',
    scoredAgainst: ['Jeff Daniels played in Hawaii Five-O.'] },
  aeslc: { fields: { email_body: 'Phillip,   Could you send\nthe policy?\nThanks,' }, output: 'Title  policy', references: ['Title  policy', 'policy request'],
    demonstration: 'What is the subject line for this email? Phillip, Could you send the policy? Thanks,\nTitle policy', scoredAgainst: ['Title policy'] },
  ag_news: { fields: { text: 'Stocks fall on Wall St.' }, options: ['World', 'Sports', 'Business', 'Sci/Tech'], output: 'Sci/Tech', labels: ['World', 'Sports', 'Business', 'Sci/Tech'],
    demonstration: '"Stocks fall on Wall St." What is this text about? World, Sports, Business, or Technology?\nTechnology',
    candidates: ['World', 'Sports', 'Business', 'Technology'] },
  gigaword: { fields: { document: 'japan \'s nikkei rose on monday .' }, output: 'nikkei rises', references: ['nikkei rises'],
    demonstration: 'Write a short summary for this text: japan \'s nikkei rose on monday .\nnikkei rises', scoredAgainst: ['nikkei rises'] },
};

function metaFor(name: string, g: Golden): TaskMeta {
  const known = TASK_REGISTRY[name]!;
  return { name, category: known.category, type: known.type, metric: known.metric, fields: Object.keys(g.fields), labels: g.labels ?? [], splits: {} };
}

describe('LLM-R prompts', () => {
  it('covers all 30 tasks', () => {
    expect(Object.keys(golden).sort()).toEqual([...LLM_R_TASK_NAMES].sort());
  });

  for (const [name, g] of Object.entries(golden)) {
    it(`renders ${name} as LLM-R does`, () => {
      const meta = metaFor(name, g);
      const spec = taskSpecFor(meta);
      expect(spec.template).toBe(TASK_REGISTRY[name]!.template);
      const row: TaskRow = { id: `${name}-0`, fields: g.fields, output: g.output, ...(g.options ? { options: g.options } : {}), ...(g.references ? { references: g.references } : {}) };
      expect(renderDemonstration(meta, row)).toBe(g.demonstration);
      if (g.candidates) expect(answerOptions(meta, row)).toEqual(g.candidates);
      if (spec.type === 'classification') expect(spec.labels).toEqual(g.candidates);
      if (g.scoredAgainst) expect(answerReferences(meta, row)).toEqual(g.scoredAgainst);
    });
  }

  it('keeps the fact of openbookqa and the title of squad when a folder has them', () => {
    const obqa = TASK_REGISTRY.openbookqa!;
    expect(obqa.template({ fact: 'the sun is a star', question: 'The sun is' })).toBe('the sun is a star The sun is');
    expect(TASK_REGISTRY.squad_v1!.template({ title: 'Oil_crisis', context: 'C.', question: 'Q?' }))
      .toBe('Please answer a question about the following article about Oil crisis: C. Q?');
  });

  it('scores with the metric and normalisation of LLM-R\'s code', () => {
    expect(TASK_REGISTRY.nq!.scoring.normalization).toBe('trivia_qa');
    expect(TASK_REGISTRY.squad_v1!.scoring.normalization).toBe('squad');
    for (const n of ['common_gen', 'e2e_nlg', 'dart', 'aeslc', 'gigaword']) expect(TASK_REGISTRY[n]!.scoring.rouge, n).toBe('pltrdy');
    expect(TASK_REGISTRY.common_gen!.scoring.references).toBe('mean');
    expect(TASK_REGISTRY.multirc!.metric).toBe('f1');
  });
});
