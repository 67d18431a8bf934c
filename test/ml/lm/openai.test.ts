import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NgramLM } from '../../../src/lib/ml/lm/ngram.js';
import { OpenAICompletionsLM, completionsUrl } from '../../../src/lib/ml/lm/openai.js';
import { startLmServer, type LmServer } from '../../../src/lib/ml/lm/server.js';
import { at } from '../../util/at.js';

const texts: string[] = [];
for (let i = 0; i < 200; i++) {
  const who = ['Alice', 'Bob', 'the cat', 'my aunt'][i % 4];
  const what = ['an apple 🍎', 'the news', 'a “quiet” song', 'tea'][(i * 7) % 4];
  texts.push(`Question: what does ${who} like?\n${who} likes ${what}.\n`);
  texts.push(`Review: ${i % 3 === 0 ? 'awful food' : 'great food'}\n${i % 3 === 0 ? 'Negative' : 'Positive'}\n`);
}
const lm = NgramLM.train(texts, { order: 4 });

let server: LmServer;
beforeAll(async () => {
  server = await startLmServer({ model: lm, name: 'tiny' });
});
afterAll(async () => {
  await server.close();
});

describe('openai backend against retort serve-lm', () => {
  it('returns the in-process scores (within 1e-9), batched and concurrent', async () => {
    const remote = new OpenAICompletionsLM({ baseUrl: server.url, model: 'tiny', batchSize: 3, concurrency: 2 });
    const reqs = [
      { context: 'Question: what does Bob like?\n', continuation: 'Bob likes tea.' },
      { context: 'Question: what does Bob like?\n', continuation: 'Bob likes an apple 🍎.' },
      { context: 'Review: great food\nPositive\n\nReview: awful food\n', continuation: 'Negative\n' },
      { context: 'emoji 🍎🍎 before the boundary ', continuation: 'and after 🍎 it' },
      { context: 'the cat li', continuation: 'kes tea' },
      { context: 'Question: what does my aunt like?\n', continuation: 'my aunt likes a “quiet” song.' },
      { context: 'x', continuation: '' },
    ];
    const local = await lm.scoreContinuations(reqs);
    const got = await remote.scoreContinuations(reqs);
    expect(got).toHaveLength(reqs.length);
    got.forEach((g, i) => {
      expect(g.tokens).toBe(local[i]!.tokens);
      expect(g.tokenTexts).toEqual(local[i]!.tokenTexts);
      expect(Math.abs(g.sumLogProb - local[i]!.sumLogProb)).toBeLessThan(1e-9);
      if (g.tokens > 0) expect(Math.abs(g.meanLogProb - local[i]!.meanLogProb)).toBeLessThan(1e-9);
    });
  });

  it('ignores the extra generated token of servers that need max_tokens ≥ 1 when scoring', async () => {
    const remote = new OpenAICompletionsLM({ baseUrl: server.url, model: 'tiny', scoreMaxTokens: 1 });
    const reqs = [{ context: 'Question: what does Bob like?\n', continuation: 'Bob likes tea.' }];
    const got = at(await remote.scoreContinuations(reqs), 0);
    const want = at(await lm.scoreContinuations(reqs), 0);
    expect(got.tokens).toBe(want.tokens);
    expect(Math.abs(got.sumLogProb - want.sumLogProb)).toBeLessThan(1e-9);
  });

  it('generates, chooses options and classifies like the in-process model', async () => {
    const remote = new OpenAICompletionsLM({ baseUrl: server.url.replace(/\/v1$/, '') }); // model found via /v1/models
    const prompts = [
      { prompt: 'Question: what does Alice like?\n', maxTokens: 64, stop: ['\n'] },
      { prompt: 'Question: what does the cat like?\n', maxTokens: 3 },
      { prompt: 'Review: awful food\n', maxTokens: 64, stop: ['\n', 'tive'] },
    ];
    expect(await remote.generate(prompts)).toEqual(await lm.generate(prompts));
    const ctx = 'Review: great food\nPositive\n\nReview: great food\n';
    expect(await remote.classify(ctx, ['Negative', 'Positive'])).toEqual(await lm.classify(ctx, ['Negative', 'Positive']));
    const mc = await remote.chooseOption('Question: what does Bob like?\n', ['Bob likes tea.', 'Bob likes rockets.']);
    expect(mc).toEqual(await lm.chooseOption('Question: what does Bob like?\n', ['Bob likes tea.', 'Bob likes rockets.']));
    expect(remote.id).toContain('openai');
  });

  it('serves echo, top log-probabilities and code-point offsets like the OpenAI API', async () => {
    const prompt = 'emoji 🍎 tea';
    const res = await fetch(`${server.url}/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'tiny', prompt, max_tokens: 2, echo: true, logprobs: 2 }),
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { object: string; model: string;
      choices: {
        text: string;
        logprobs: { tokens: string[]; token_logprobs: number[]; top_logprobs: Record<string, number>[]; text_offset: number[] };
        finish_reason: string;
      }[];
      usage: { prompt_tokens: number; completion_tokens: number } };
    expect(body.object).toBe('text_completion');
    expect(body.model).toBe('tiny');
    const c = body.choices[0]!;
    expect(c.text.startsWith(prompt)).toBe(true);
    expect(c.logprobs.tokens.slice(0, 3)).toEqual(['emoji', '🍎', 'tea']);
    expect(c.logprobs.text_offset.slice(0, 3)).toEqual([0, 6, 8]); // code points, not UTF-16 units
    expect(c.logprobs.tokens).toHaveLength(3 + body.usage.completion_tokens);
    expect(c.logprobs.top_logprobs[0]).toBeTypeOf('object');
    expect(Object.keys(c.logprobs.top_logprobs[1]!).length).toBe(2);
    expect(body.usage.prompt_tokens).toBe(3);
    // The echoed log-probabilities are the in-process ones.
    expect(c.logprobs.token_logprobs.slice(0, 3)).toEqual(lm.analyze(prompt).logProbs);
  });

  it('answers bad requests with OpenAI-style errors', async () => {
    const post = (body: unknown) =>
      fetch(`${server.url}/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const hot = await post({ prompt: 'x', temperature: 0.7 });
    expect(hot.status).toBe(400);
    expect(((await hot.json()) as { error: { message: string; param: string } }).error.param).toBe('temperature');
    expect((await post({ prompt: [1, 2] })).status).toBe(400);
    expect((await post({ prompt: 'x', max_tokens: -1 })).status).toBe(400);
    expect((await fetch(`${server.url}/completions`, { method: 'POST', body: '{not json' })).status).toBe(400);
    expect((await fetch(`${server.url}/nowhere`)).status).toBe(404);
    expect((await fetch(`${server.url}/models`)).status).toBe(200);
  });

  it('fails with the server message on a non-retryable error', async () => {
    const remote = new OpenAICompletionsLM({ baseUrl: server.url, model: 'tiny', maxRetries: 3, backoffMs: 1 });
    // Token arrays are refused by our server: a 400 that must not be retried.
    await expect(remote.generate([{ prompt: 'x', maxTokens: 99999 }])).rejects.toThrow(/HTTP 400: "max_tokens" must be an integer/);
  });
});

/** A loopback server with a scripted handler, counting requests and the most in flight at once. */
async function fakeServer(handler: (n: number, body: Record<string, unknown>, headers: Record<string, unknown>) =>
  { status: number; body: unknown; delayMs?: number; headers?: Record<string, string> } | null) {
  let n = 0;
  let inFlight = 0;
  const stats = { requests: 0, maxInFlight: 0 };
  const srv: Server = createServer((req, res) => {
    let data = '';
    req.on('data', (c) => (data += c));
    req.on('end', () => {
      inFlight++;
      stats.requests++;
      stats.maxInFlight = Math.max(stats.maxInFlight, inFlight);
      const reply = handler(++n, data ? (JSON.parse(data) as Record<string, unknown>) : {}, req.headers);
      if (reply === null) return; // never answer
      setTimeout(() => {
        inFlight--;
        res.writeHead(reply.status, { 'content-type': 'application/json', ...(reply.headers ?? {}) });
        res.end(JSON.stringify(reply.body));
      }, reply.delayMs ?? 0);
    });
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const url = `http://127.0.0.1:${(srv.address() as AddressInfo).port}`;
  return { url, stats, close: () => new Promise<void>((r) => { srv.closeAllConnections(); srv.close(() => r()); }) };
}

function textChoices(prompts: string[]): unknown {
  return { choices: prompts.map((p, index) => ({ index, text: `${p}!\nmore`, logprobs: null })) };
}

describe('openai backend transport', () => {
  it('builds the completions URL with or without /v1', () => {
    expect(completionsUrl('http://h:1')).toBe('http://h:1/v1/completions');
    expect(completionsUrl('http://h:1/v1/')).toBe('http://h:1/v1/completions');
  });

  it('retries 503 and 429 with back-off, then succeeds; sends the API key', async () => {
    const seenAuth: unknown[] = [];
    const fake = await fakeServer((n, body, headers) => {
      seenAuth.push(headers.authorization);
      if (n === 1) return { status: 503, body: { error: { message: 'warming up' } } };
      if (n === 2) return { status: 429, body: { error: 'slow down' }, headers: { 'retry-after': '0' } };
      return { status: 200, body: textChoices(body.prompt as string[]) };
    });
    try {
      const remote = new OpenAICompletionsLM({ baseUrl: fake.url, model: 'm', apiKey: 'sk-test', backoffMs: 5 });
      expect(await remote.generate([{ prompt: 'a', maxTokens: 5, stop: ['\n'] }])).toEqual(['a!']);
      expect(fake.stats.requests).toBe(3);
      expect(seenAuth.every((a) => a === 'Bearer sk-test')).toBe(true);
    } finally {
      await fake.close();
    }
  });

  it('gives up after the retries, naming the URL and the last error', async () => {
    const fake = await fakeServer(() => ({ status: 502, body: { error: { message: 'bad gateway' } } }));
    try {
      const remote = new OpenAICompletionsLM({ baseUrl: fake.url, model: 'm', maxRetries: 2, backoffMs: 1 });
      await expect(remote.generate([{ prompt: 'a', maxTokens: 1 }])).rejects.toThrow(/v1\/completions: HTTP 502: bad gateway \(gave up after 3 attempts\)/);
      expect(fake.stats.requests).toBe(3);
    } finally {
      await fake.close();
    }
  });

  it('times out a request that gets no reply', async () => {
    const fake = await fakeServer(() => null);
    try {
      const remote = new OpenAICompletionsLM({ baseUrl: fake.url, model: 'm', maxRetries: 0, timeoutMs: 150 });
      await expect(remote.generate([{ prompt: 'a', maxTokens: 1 }])).rejects.toThrow(/no reply within 150 ms/);
    } finally {
      await fake.close();
    }
  });

  it('keeps at most `concurrency` requests in flight and batches prompts', async () => {
    const fake = await fakeServer((_n, body) => ({ status: 200, body: textChoices(body.prompt as string[]), delayMs: 20 }));
    try {
      const remote = new OpenAICompletionsLM({ baseUrl: fake.url, model: 'm', batchSize: 4, concurrency: 2 });
      const reqs = Array.from({ length: 20 }, (_, i) => ({ prompt: `p${i}`, maxTokens: 4, stop: ['\n'] }));
      const out = await remote.generate(reqs);
      expect(out).toEqual(reqs.map((r) => `${r.prompt}!`));
      expect(fake.stats.requests).toBe(5);
      expect(fake.stats.maxInFlight).toBe(2);
    } finally {
      await fake.close();
    }
  });

  it('names a scoring reply that lists fewer tokens than text offsets', async () => {
    const logprobs = { tokens: ['a'], token_logprobs: [null, -1], text_offset: [0, 1] };
    const fake = await fakeServer(() => ({ status: 200, body: { choices: [{ index: 0, text: 'ab', logprobs }] } }));
    try {
      const remote = new OpenAICompletionsLM({ baseUrl: fake.url, model: 'm', maxRetries: 0 });
      await expect(remote.scoreContinuations([{ context: 'a', continuation: 'b' }])).rejects.toThrow(/v1\/completions: the reply has 2 text offsets but 1 tokens/);
    } finally {
      await fake.close();
    }
  });

  it('explains a missing server URL', () => {
    expect(() => new OpenAICompletionsLM({ env: {} })).toThrow(/OPENAI_BASE_URL/);
    expect(new OpenAICompletionsLM({ env: { OPENAI_BASE_URL: 'http://127.0.0.1:9/v1' } }).baseUrl).toBe('http://127.0.0.1:9/v1');
  });
});

describe('a leading stop string over the completions API', () => {
  it('an empty answer is asked for again without stop strings and cut after the leading newline', async () => {
    const toy = NgramLM.train([...Array(20)].map(() => 'Answer:\n').concat(['Answer:\nparis\n']), { lambda: 0 });
    const srv = await startLmServer({ model: toy, name: 'toy' });
    try {
      const remote = new OpenAICompletionsLM({ baseUrl: srv.url, model: 'toy' });
      const [plain, kept] = await remote.generate([
        { prompt: 'Answer:', maxTokens: 4, stop: ['\n'] },
        { prompt: 'Answer:', maxTokens: 4, stop: ['\n'], suppressLeadingStop: true },
      ]);
      expect(plain).toBe('');
      expect(kept).not.toBe('');
      expect(kept).not.toContain('\n');
    } finally {
      await srv.close();
    }
  });
});
