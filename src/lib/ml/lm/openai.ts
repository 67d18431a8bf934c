// Any OpenAI-compatible completions server (vLLM, llama.cpp, TGI, `retort serve-lm`) as a
// LanguageModel, through POST {base}/v1/completions:
//  - scoring: prompt = context + continuation with echo, logprobs 1 and max_tokens 0; the
//    continuation's tokens are those whose text_offset (in code points, as the servers count)
//    falls in [|context|, |context + continuation|), and their token_logprobs are summed;
//  - generation: temperature 0 (greedy) with the stop strings.
// Prompts go in batches (prompt arrays), with a limit on requests in flight, retries with
// exponential back-off on network errors, timeouts, 429 and 5xx, and a timeout per request.

import { codePointLength } from '../tokenize.js';
import { chooseByMeanLogProb, classifyConstrained } from './decide.js';
import { summarizeTokens, type ContinuationScore, type GenerateRequest, type LabelChoice, type LanguageModel, type OptionChoice, type SampleRequest, type ScoreRequest } from './types.js';

export interface OpenAIOptions {
  /** Server base URL, with or without the /v1 suffix (default: env OPENAI_BASE_URL). */
  baseUrl?: string;
  /** Model name (default: env OPENAI_MODEL, else the first model the server lists). */
  model?: string;
  /** Bearer token (default: env OPENAI_API_KEY; none sent when absent). */
  apiKey?: string;
  /** Prompts per request (default 16). */
  batchSize?: number;
  /** Requests in flight at once (default 4). */
  concurrency?: number;
  /** Retries after the first attempt (default 4). */
  maxRetries?: number;
  /** Delay before the first retry in ms; doubles each time, capped at 30 s (default 500). */
  backoffMs?: number;
  /** Time limit of one request in ms (default 120000). */
  timeoutMs?: number;
  /** max_tokens sent with scoring requests (default 0; set 1 for servers that refuse 0). */
  scoreMaxTokens?: number;
  /** Where env defaults come from (default process.env). */
  env?: Record<string, string | undefined>;
  /** Injected fetch (tests). */
  fetch?: typeof fetch;
}

export class OpenAIError extends Error {
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'OpenAIError';
  }
}

interface CompletionChoice {
  index: number;
  text: string;
  logprobs?: {
    tokens?: string[];
    token_logprobs?: (number | null)[];
    text_offset?: number[];
  } | null;
}

const RETRY_STATUS = new Set([408, 409, 425, 429, 500, 502, 503, 504]);

/** The completions endpoint for a base URL given with or without /v1. */
export function completionsUrl(base: string): string {
  const b = base.replace(/\/+$/, '');
  return /\/v1$/.test(b) ? `${b}/completions` : `${b}/v1/completions`;
}

function modelsUrl(base: string): string {
  const b = base.replace(/\/+$/, '');
  return /\/v1$/.test(b) ? `${b}/models` : `${b}/v1/models`;
}

/** Limits how many async jobs run at once. */
class Semaphore {
  private active = 0;
  private readonly waiting: (() => void)[] = [];
  constructor(private readonly limit: number) {}
  async run<T>(job: () => Promise<T>): Promise<T> {
    if (this.active >= this.limit) await new Promise<void>((r) => this.waiting.push(r));
    this.active++;
    try {
      return await job();
    } finally {
      this.active--;
      this.waiting.shift()?.();
    }
  }
}

export class OpenAICompletionsLM implements LanguageModel {
  readonly id: string;
  readonly baseUrl: string;
  private modelName: Promise<string> | null;
  private readonly apiKey?: string;
  private readonly batchSize: number;
  private readonly maxRetries: number;
  private readonly backoffMs: number;
  private readonly timeoutMs: number;
  private readonly scoreMaxTokens: number;
  private readonly gate: Semaphore;
  private readonly fetchImpl: typeof fetch;

  constructor(opts: OpenAIOptions = {}) {
    const env = opts.env ?? process.env;
    const base = opts.baseUrl ?? env.OPENAI_BASE_URL;
    if (!base) throw new OpenAIError('no server URL: pass baseUrl or set OPENAI_BASE_URL (e.g. http://127.0.0.1:8000/v1)');
    this.baseUrl = base;
    const model = opts.model ?? env.OPENAI_MODEL;
    this.modelName = model ? Promise.resolve(model) : null;
    this.apiKey = opts.apiKey ?? env.OPENAI_API_KEY;
    this.batchSize = positiveInt(opts.batchSize ?? 16, 'batchSize');
    this.maxRetries = nonNegativeInt(opts.maxRetries ?? 4, 'maxRetries');
    this.backoffMs = opts.backoffMs ?? 500;
    this.timeoutMs = opts.timeoutMs ?? 120_000;
    this.scoreMaxTokens = nonNegativeInt(opts.scoreMaxTokens ?? 0, 'scoreMaxTokens');
    this.gate = new Semaphore(positiveInt(opts.concurrency ?? 4, 'concurrency'));
    this.fetchImpl = opts.fetch ?? fetch;
    this.id = `openai(${model ?? 'first listed model'} @ ${base})`;
  }

  private model(): Promise<string> {
    if (this.modelName === null) {
      this.modelName = this.call<{ data?: { id?: string }[] }>(modelsUrl(this.baseUrl), null).then((res) => {
        const id = res.data?.[0]?.id;
        if (!id) throw new OpenAIError(`${modelsUrl(this.baseUrl)} lists no model; pass one with the model option or OPENAI_MODEL`);
        return id;
      });
      // A failed lookup is retried on the next call rather than cached.
      this.modelName.catch(() => (this.modelName = null));
    }
    return this.modelName;
  }

  async scoreContinuations(reqs: ScoreRequest[]): Promise<ContinuationScore[]> {
    const model = await this.model();
    const batches = chunk(reqs, this.batchSize);
    const results = await Promise.all(
      batches.map(async (batch) => {
        const choices = await this.complete({
          model,
          prompt: batch.map((r) => r.context + r.continuation),
          max_tokens: this.scoreMaxTokens,
          echo: true,
          logprobs: 1,
          temperature: 0,
        }, batch.length);
        return batch.map((r, i) => this.continuationScore(r, choices[i]!)); // complete() checked one choice per prompt
      }),
    );
    return results.flat();
  }

  private continuationScore(r: ScoreRequest, choice: CompletionChoice): ContinuationScore {
    const lp = choice.logprobs;
    const url = completionsUrl(this.baseUrl);
    if (!lp || !Array.isArray(lp.token_logprobs) || !Array.isArray(lp.text_offset) || !Array.isArray(lp.tokens)) {
      throw new OpenAIError(`${url}: the reply has no logprobs with tokens, token_logprobs and text_offset (does the server support echo with logprobs?)`);
    }
    const start = codePointLength(r.context);
    const end = start + codePointLength(r.continuation);
    const lps: number[] = [];
    const texts: string[] = [];
    for (let j = 0; j < lp.text_offset.length; j++) {
      const off = lp.text_offset[j]!;
      if (off < start || off >= end) continue;
      const v = lp.token_logprobs[j];
      if (typeof v !== 'number') {
        throw new OpenAIError(`${url}: no log-probability for token ${j} (${JSON.stringify(lp.tokens[j])}); the first token of a prompt has none, so give a non-empty context`);
      }
      const text = lp.tokens[j];
      if (text === undefined) throw new OpenAIError(`${url}: the reply has ${lp.text_offset.length} text offsets but ${lp.tokens.length} tokens`);
      lps.push(v);
      texts.push(text);
    }
    return summarizeTokens(lps, texts);
  }

  async generate(reqs: GenerateRequest[]): Promise<string[]> {
    const model = await this.model();
    const out = new Array<string>(reqs.length);
    // Requests with the same settings share batches.
    const groups = new Map<string, number[]>();
    reqs.forEach((r, i) => {
      const key = JSON.stringify([r.maxTokens, r.stop ?? []]);
      const g = groups.get(key);
      if (g) g.push(i);
      else groups.set(key, [i]);
    });
    const jobs: Promise<void>[] = [];
    for (const indices of groups.values()) {
      for (const batch of chunk(indices, this.batchSize)) {
        const first = reqs[batch[0]!]!;
        const stop = (first.stop ?? []).filter((s) => s.length > 0);
        jobs.push(
          this.complete({
            model,
            prompt: batch.map((i) => reqs[i]!.prompt),
            max_tokens: first.maxTokens,
            temperature: 0,
            ...(stop.length > 0 ? { stop } : {}),
          }, batch.length).then((choices) => {
            // Servers drop the stop string; cut again in case one leaves it in.
            batch.forEach((i, k) => (out[i] = cutAtStop(String(choices[k]!.text ?? ''), stop)));
          }),
        );
      }
    }
    await Promise.all(jobs);
    // A server cannot be told to suppress a leading stop string, so an answer that came back
    // empty is asked for again without stop strings: leading stop strings are dropped and the
    // rest is cut at the first one.
    const empty = [...reqs.entries()].filter(([i, r]) => r.suppressLeadingStop && out[i] === '' && (r.stop ?? []).some((s) => s.length > 0));
    if (empty.length > 0) {
      const again = await this.generate(empty.map(([, r]) => ({ prompt: r.prompt, maxTokens: r.maxTokens })));
      // One answer per request asked again.
      empty.forEach(([i, r], k) => (out[i] = cutAtStop(dropLeadingStops(again[k]!, r.stop ?? []), r.stop ?? [])));
    }
    return out;
  }

  /**
   * Sampling with temperature and n, one prompt per request (servers order the n choices of a
   * prompt array inconsistently). The seed, when given, is sent as is.
   */
  async sample(reqs: SampleRequest[]): Promise<string[][]> {
    const model = await this.model();
    return Promise.all(
      reqs.map(async (r) => {
        if (!(r.temperature > 0)) throw new RangeError(`sampling needs a temperature above 0, got ${r.temperature}`);
        const n = positiveInt(r.n, 'n');
        const stop = (r.stop ?? []).filter((s) => s.length > 0);
        const choices = await this.complete({
          model,
          prompt: r.prompt,
          max_tokens: r.maxTokens,
          temperature: r.temperature,
          n,
          ...(r.seed !== undefined ? { seed: r.seed } : {}),
          ...(stop.length > 0 ? { stop } : {}),
        }, n);
        return choices.map((c) => cutAtStop(String(c.text ?? ''), stop));
      }),
    );
  }

  chooseOption(context: string, options: string[]): Promise<OptionChoice> {
    return chooseByMeanLogProb((r) => this.scoreContinuations(r), context, options);
  }

  classify(context: string, labels: string[]): Promise<LabelChoice> {
    return classifyConstrained((r) => this.scoreContinuations(r), context, labels);
  }

  /** One completions request; returns its choices ordered by index. */
  private async complete(body: Record<string, unknown>, expected: number): Promise<CompletionChoice[]> {
    const url = completionsUrl(this.baseUrl);
    const res = await this.call<{ choices?: CompletionChoice[] }>(url, body);
    const choices = Array.isArray(res.choices) ? [...res.choices] : [];
    if (choices.length !== expected) throw new OpenAIError(`${url}: expected ${expected} choices, got ${choices.length}`);
    choices.sort((a, b) => a.index - b.index);
    return choices;
  }

  /** GET (body null) or POST JSON with retries, back-off and a timeout. */
  private call<T>(url: string, body: Record<string, unknown> | null): Promise<T> {
    return this.gate.run(async () => {
      let lastError: Error = new OpenAIError(`${url}: no attempt made`);
      for (let attempt = 0; attempt <= this.maxRetries; attempt++) {
        let retryAfterMs: number | null = null;
        try {
          const res = await this.fetchImpl(url, {
            method: body === null ? 'GET' : 'POST',
            headers: {
              ...(body === null ? {} : { 'content-type': 'application/json' }),
              ...(this.apiKey ? { authorization: `Bearer ${this.apiKey}` } : {}),
            },
            body: body === null ? undefined : JSON.stringify(body),
            signal: AbortSignal.timeout(this.timeoutMs),
          });
          const text = await res.text();
          if (res.ok) {
            try {
              return JSON.parse(text) as T;
            } catch {
              throw new OpenAIError(`${url}: the reply is not JSON: ${text.slice(0, 200)}`, res.status);
            }
          }
          const err = new OpenAIError(`${url}: HTTP ${res.status}: ${errorMessage(text)}`, res.status);
          if (!RETRY_STATUS.has(res.status)) throw err;
          lastError = err;
          const ra = Number(res.headers.get('retry-after'));
          if (Number.isFinite(ra) && ra > 0) retryAfterMs = ra * 1000;
        } catch (e) {
          if (e instanceof OpenAIError && (e.status === undefined || !RETRY_STATUS.has(e.status))) throw e;
          if (!(e instanceof OpenAIError)) {
            const name = (e as Error).name;
            lastError = new OpenAIError(name === 'TimeoutError' ? `${url}: no reply within ${this.timeoutMs} ms` : `${url}: ${(e as Error).message}${causeOf(e)}`);
          }
        }
        if (attempt < this.maxRetries) await sleep(retryAfterMs ?? Math.min(30_000, this.backoffMs * 2 ** attempt));
      }
      throw new OpenAIError(`${lastError.message} (gave up after ${this.maxRetries + 1} attempts)`, (lastError as OpenAIError).status);
    });
  }
}

function errorMessage(text: string): string {
  try {
    const j = JSON.parse(text) as { error?: { message?: string } | string; message?: string };
    if (typeof j.error === 'string') return j.error;
    return j.error?.message ?? j.message ?? text.slice(0, 200);
  } catch {
    return text.slice(0, 200);
  }
}

function causeOf(e: unknown): string {
  const cause = (e as { cause?: { code?: string; message?: string } }).cause;
  return cause ? ` (${cause.code ?? cause.message ?? ''})` : '';
}

/** The text without the stop strings (and spaces) it starts with. */
export function dropLeadingStops(text: string, stop: readonly string[]): string {
  let t = text;
  for (;;) {
    const trimmed = t.replace(/^[ \t]+/, '');
    const s = stop.find((x) => x.length > 0 && trimmed.startsWith(x));
    if (s === undefined) return t;
    t = trimmed.slice(s.length);
  }
}

export function cutAtStop(text: string, stop: readonly string[]): string {
  let cut = text.length;
  for (const s of stop) {
    if (s.length === 0) continue;
    const at = text.indexOf(s);
    if (at >= 0 && at < cut) cut = at;
  }
  return text.slice(0, cut);
}

function chunk<T>(xs: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < xs.length; i += size) out.push(xs.slice(i, i + size));
  return out;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function positiveInt(n: number, name: string): number {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`${name} must be a positive integer, got ${n}`);
  return n;
}

function nonNegativeInt(n: number, name: string): number {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`${name} must be a non-negative integer, got ${n}`);
  return n;
}
