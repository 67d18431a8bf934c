// asc-vote on a NAT student (the paper recipe votes with nat-student's NAT model): the folder holds
// the base weights plus nat.json and nat.safetensors, and the votes must sample from the NAT model
// (adapters and integration unit restored), not from the base weights alone.

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import arithSuite from '../../plugins/arith-suite/index.js';
import ascRanker from '../../plugins/asc-ranker/index.js';
import ascVote from '../../plugins/asc-vote/index.js';
import natPretrain from '../../plugins/nat-pretrain/index.js';
import natStudent from '../../plugins/nat-student/index.js';
import teacherSamples from '../../plugins/teacher-samples/index.js';
import { LlamaDecoder } from '../../src/lib/nn/models/llama.js';
import { loadPretrained } from '../../src/lib/nn/pretrained.js';
import { deriveSeed } from '../../src/lib/nn/train/rng.js';
import { readSplit } from '../../src/lib/reasoning/io.js';
import { sampleQuestion } from '../../src/lib/reasoning/self-consistency.js';
import { loadStudent } from '../../src/lib/reasoning/student-model.js';
import { runPlugin } from '../plugins/ctx.js';

const root = mkdtempSync(join(tmpdir(), 'retort-asc-nat-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const suite = join(root, 'suite', 'suite');
const samples = join(root, 'samples', 'samples');
const nat = join(root, 'nat', 'model');
const ranker = join(root, 'ranker', 'ranker');
const vote = { samples: 4, temperature: 1, seed: 2, maxNew: 8, maxLength: 96, evalSplits: ['test'], maxEval: 2, greedy: false, topK: 0, topP: 1 };

beforeAll(async () => {
  await runPlugin(arithSuite, join(root, 'suite'), { seed: 3, trainSize: 12, testSize: 2, numbers: 'tiny', maxSteps: 3 }, {});
  await runPlugin(teacherSamples, join(root, 'samples'), { samples: 4, seed: 3 }, { suite });
  await runPlugin(natPretrain, join(root, 'base'), { corpusSize: 30, steps: 2, batch: 4, hiddenSize: 16, numHeads: 2, vocabSize: 300 }, { suite });
  // A large learning rate, so that the NAT student's samples differ from its base model's.
  await runPlugin(natStudent, join(root, 'nat'), { method: 'nat', steps: 4, negSteps: 2, batch: 4, lr: 0.05, unitDim: 4, maxEval: 1, maxNew: 2, evalSplits: ['test'] },
    { suite, samples, base: join(root, 'base', 'model') });
  await runPlugin(ascRanker, join(root, 'ranker'), { steps: 1, hiddenSize: 16, numLayers: 1, intermediateSize: 32, vocabSize: 200, maxLength: 64 }, { samples });
}, 120_000);

describe('asc-vote on a NAT student', () => {
  it('samples from the NAT model its folder describes, not from the base weights in it', async () => {
    const run = await runPlugin(ascVote, join(root, 'vote'), vote, { suite, model: nat, ranker });
    const texts = readFileSync(join(root, 'vote', 'votes', 'votes.jsonl'), 'utf8').trim().split('\n')
      .map((l) => (JSON.parse(l) as { samples: { text: string }[] }).samples.map((s) => s.text));
    const questions = (await readSplit(suite, 'test')).map((q) => q.question);
    const sampled = (model: Parameters<typeof sampleQuestion>[0], tok: Parameters<typeof sampleQuestion>[1]) =>
      questions.map((q, i) => sampleQuestion(model, tok, q, { ...vote, seed: deriveSeed(vote.seed, 0, i) }));
    const student = await loadStudent(nat);
    const { model: weightsOnly } = await loadPretrained(nat);
    expect(weightsOnly).toBeInstanceOf(LlamaDecoder);
    const fromNat = sampled(student.model, student.tokenizer);
    const fromWeights = sampled(weightsOnly as LlamaDecoder, student.tokenizer);
    student.model.dispose();
    weightsOnly.dispose();
    expect(fromNat).not.toEqual(fromWeights); // the test can tell the two apart
    expect(texts).toEqual(fromNat);
    expect(run.logs.some((l) => /a NAT student \(LoRA_pos, LoRA_neg and the integration unit restored\)/.test(l))).toBe(true);
  }, 120_000);
});
