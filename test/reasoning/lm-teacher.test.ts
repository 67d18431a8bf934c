// Teacher samples through the LanguageModel interface: the OpenAI backend's sampling (temperature,
// n, seed, stop) against a loopback server speaking the completions protocol, then labelling.

import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NgramLM } from '../../src/lib/ml/lm/ngram.js';
import { OpenAICompletionsLM } from '../../src/lib/ml/lm/openai.js';
import { labelSamples, reasoningPrompt, sampleRationales } from '../../src/lib/reasoning/samples.js';
import { at } from '../util/at.js';

const bodies: Record<string, unknown>[] = [];
let url = '';
let close: () => Promise<void>;

beforeAll(async () => {
  // Answers each prompt with n choices "rationale j … The answer is <j>", then the next question.
  const srv = createServer((req, res) => {
    let data = '';
    req.on('data', (c) => (data += c));
    req.on('end', () => {
      const body = JSON.parse(data) as { prompt: string; n: number };
      bodies.push(body);
      const choices = Array.from({ length: body.n }, (_, j) => ({ index: body.n - 1 - j, text: ` step ${body.n - 1 - j}.\nThe answer is ${body.n - 1 - j}.\nQuestion: next`, logprobs: null }));
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ choices }));
    });
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  url = `http://127.0.0.1:${(srv.address() as AddressInfo).port}/v1`;
  close = () => new Promise<void>((r) => { srv.closeAllConnections(); srv.close(() => r()); });
});
afterAll(() => close());

describe('sampling through an OpenAI-compatible server', () => {
  it('sends temperature, n, seed and stop, one prompt per request, and returns the n choices in order', async () => {
    const lm = new OpenAICompletionsLM({ baseUrl: url, model: 'teacher' });
    const out = await lm.sample([
      { prompt: 'A', maxTokens: 32, temperature: 0.7, n: 3, stop: ['\nQuestion:'], seed: 5 },
      { prompt: 'B', maxTokens: 16, temperature: 1, n: 2 },
    ]);
    expect(out).toEqual([
      [' step 0.\nThe answer is 0.', ' step 1.\nThe answer is 1.', ' step 2.\nThe answer is 2.'],
      [' step 0.\nThe answer is 0.\nQuestion: next', ' step 1.\nThe answer is 1.\nQuestion: next'],
    ]);
    const sent = bodies.slice(-2).sort((a, b) => String(a.prompt).localeCompare(String(b.prompt)));
    expect(sent[0]).toEqual({ model: 'teacher', prompt: 'A', max_tokens: 32, temperature: 0.7, n: 3, seed: 5, stop: ['\nQuestion:'] });
    expect(sent[1]).toEqual({ model: 'teacher', prompt: 'B', max_tokens: 16, temperature: 1, n: 2 });
    await expect(lm.sample([{ prompt: 'A', maxTokens: 4, temperature: 0, n: 2 }])).rejects.toThrow(/temperature above 0/);
  });

  it('samples eight few-shot rationales per question and labels them', async () => {
    const lm = new OpenAICompletionsLM({ baseUrl: url, model: 'teacher' });
    const demos = [{ question: 'Leo has 2 cards. He buys 3 more cards. How many cards does Leo have now?', rationale: 'Leo starts with 2 cards.\nAfter buying 3 more: 2 + 3 = 5.\nThe answer is 5.' }];
    const prompt = reasoningPrompt('Mia has 4 shells. How many?', demos);
    expect(prompt).toBe(`Question: ${demos[0]!.question}\nAnswer: ${demos[0]!.rationale}\n\nQuestion: Mia has 4 shells. How many?\nAnswer:`);
    const texts = at(await sampleRationales(lm, ['Mia has 4 shells. How many?'], { samples: 8, temperature: 0.5, maxTokens: 64, demos, seed: 100 }), 0);
    expect(texts).toHaveLength(8);
    expect(texts[4]).toBe('step 4.\nThe answer is 4.');
    expect(bodies.at(-1)).toMatchObject({ prompt, n: 8, temperature: 0.5, seed: 100 });
    const rows = labelSamples({ id: 'q', question: 'Mia has 4 shells. How many?', gold: '4', texts }, 'model');
    expect(rows.map((r) => r.positive)).toEqual([false, false, false, false, true, false, false, false]);
  });

  it('names a model that cannot sample', async () => {
    const greedy = NgramLM.train(['a b c'], { order: 2 });
    await expect(sampleRationales(greedy, ['q'], { samples: 8, temperature: 0.5, maxTokens: 8, demos: [] })).rejects.toThrow(/cannot sample/);
  });
});
