// A built-in language model served over the OpenAI completions API on the loopback interface,
// so anything that speaks that API (our openai backend, lm-eval-harness, curl) can use it:
//   POST /v1/completions   prompt (string or array), max_tokens (default 16), echo, logprobs (0..5),
//                          stop, temperature (must be 0: decoding is greedy)
//   GET  /v1/models        the one model served
//   GET  /health
// text_offset counts code points, as Python servers (vLLM) do. Unlike those, the first prompt
// token also gets a log-probability: the model predicts it from the start-of-text state.

import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { toCodePointOffsets } from '../tokenize.js';
import type { Completion, TokenAnalysis, TokenTop } from './ngram.js';

/** What a model must offer to be served: token-level analysis and greedy completion. */
export interface ServableModel {
  readonly id: string;
  analyze(text: string, top: number): TokenAnalysis;
  countTokens(text: string): number;
  complete(prompt: string, maxTokens: number, stop: readonly string[], top: number): Completion;
}

export interface LmServerOptions {
  model: ServableModel;
  /** Name reported by /v1/models and in replies (default "retort-ngram"). */
  name?: string;
  /** Interface to listen on (default 127.0.0.1). */
  host?: string;
  /** Port (default 0: any free port). */
  port?: number;
  /** Largest accepted request body in bytes (default 64 MiB). */
  maxBodyBytes?: number;
  /** Largest max_tokens accepted (default 4096). */
  maxTokensLimit?: number;
}

export interface LmServer {
  /** Base URL including /v1, e.g. http://127.0.0.1:8000/v1. */
  url: string;
  host: string;
  port: number;
  close(): Promise<void>;
}

class RequestError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly param: string | null = null,
  ) {
    super(message);
  }
}

interface CompletionBody {
  prompts: string[];
  maxTokens: number;
  echo: boolean;
  logprobs: number | null;
  stop: string[];
}

export async function startLmServer(opts: LmServerOptions): Promise<LmServer> {
  const host = opts.host ?? '127.0.0.1';
  const name = opts.name ?? 'retort-ngram';
  const maxBody = opts.maxBodyBytes ?? 64 * 1024 * 1024;
  const maxTokensLimit = opts.maxTokensLimit ?? 4096;
  let served = 0;

  const server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      if (e instanceof RequestError) sendError(res, e.status, e.message, e.param);
      else sendError(res, 500, `internal error: ${(e as Error).message}`, null, 'server_error');
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0]!.replace(/\/+$/, '') || '/';
    if (path === '/health') return sendJson(res, 200, { status: 'ok' });
    if (path === '/v1/models' || path === '/models') {
      if (req.method !== 'GET') throw new RequestError(405, `use GET for ${path}`);
      return sendJson(res, 200, { object: 'list', data: [{ id: name, object: 'model', created: 0, owned_by: 'retort' }] });
    }
    if (path === '/v1/completions' || path === '/completions') {
      if (req.method !== 'POST') throw new RequestError(405, `use POST for ${path}`);
      const body = parseBody(await readBody(req, maxBody), maxTokensLimit);
      return sendJson(res, 200, completions(body));
    }
    throw new RequestError(404, `no route ${req.method} ${path} (this server offers POST /v1/completions and GET /v1/models)`);
  }

  function completions(body: CompletionBody): unknown {
    const top = body.logprobs ?? 0;
    let promptTokens = 0;
    let completionTokens = 0;
    const choices = body.prompts.map((prompt, index) => {
      const gen = body.maxTokens > 0 ? opts.model.complete(prompt, body.maxTokens, body.stop, top) : null;
      const echoed: TokenAnalysis | null = body.echo && body.logprobs !== null ? opts.model.analyze(prompt, top) : null;
      promptTokens += echoed?.tokens.length ?? opts.model.countTokens(prompt);
      completionTokens += gen?.tokens.length ?? 0;
      const text = (body.echo ? prompt : '') + (gen?.text ?? '');
      let logprobs: unknown = null;
      if (body.logprobs !== null) {
        const parts: { a: TokenAnalysis; shift: number }[] = [];
        if (echoed) parts.push({ a: echoed, shift: 0 });
        if (gen) parts.push({ a: gen, shift: body.echo ? prompt.length : 0 });
        const utf16 = parts.flatMap((p) => p.a.offsets.map((o) => o + p.shift));
        logprobs = {
          tokens: parts.flatMap((p) => p.a.tokens),
          token_logprobs: parts.flatMap((p) => p.a.logProbs),
          top_logprobs: top > 0 ? parts.flatMap((p) => (p.a.top ?? []).map(topObject)) : null,
          text_offset: toCodePointOffsets(text, utf16),
        };
      }
      return { index, text, logprobs, finish_reason: gen ? gen.finishReason : 'length' };
    });
    return {
      id: `cmpl-${++served}`,
      object: 'text_completion',
      created: Math.floor(Date.now() / 1000),
      model: name,
      choices,
      usage: { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens },
    };
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${urlHost}:${port}/v1`,
    host,
    port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((e) => (e ? reject(e) : resolve()));
        server.closeAllConnections();
      }),
  };
}

function topObject(list: TokenTop[]): Record<string, number> {
  const o: Record<string, number> = {};
  for (const t of list) o[t.token] = t.logProb;
  return o;
}

function readBody(req: IncomingMessage, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let size = 0;
    // An oversized body is read to its end (and dropped) so the 413 reply reaches the client.
    req.on('data', (b: Buffer) => {
      size += b.length;
      if (size <= limit) parts.push(b);
    });
    req.on('end', () => {
      if (size > limit) reject(new RequestError(413, `request body over ${limit} bytes`));
      else resolve(Buffer.concat(parts).toString('utf8'));
    });
    req.on('error', reject);
  });
}

function parseBody(text: string, maxTokensLimit: number): CompletionBody {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new RequestError(400, `the body is not JSON: ${(e as Error).message}`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new RequestError(400, 'the body must be a JSON object');
  const b = raw as Record<string, unknown>;
  const prompt = b.prompt;
  let prompts: string[];
  if (typeof prompt === 'string') prompts = [prompt];
  else if (Array.isArray(prompt) && prompt.length > 0 && prompt.every((p) => typeof p === 'string')) prompts = prompt as string[];
  else throw new RequestError(400, '"prompt" must be a string or a non-empty array of strings (token arrays are not supported)', 'prompt');
  const maxTokens = b.max_tokens ?? 16;
  if (typeof maxTokens !== 'number' || !Number.isInteger(maxTokens) || maxTokens < 0 || maxTokens > maxTokensLimit) {
    throw new RequestError(400, `"max_tokens" must be an integer in 0..${maxTokensLimit}`, 'max_tokens');
  }
  const echo = b.echo ?? false;
  if (typeof echo !== 'boolean') throw new RequestError(400, '"echo" must be a boolean', 'echo');
  const logprobs = b.logprobs ?? null;
  if (logprobs !== null && (typeof logprobs !== 'number' || !Number.isInteger(logprobs) || logprobs < 0 || logprobs > 5)) {
    throw new RequestError(400, '"logprobs" must be null or an integer in 0..5', 'logprobs');
  }
  const temperature = b.temperature ?? 0;
  if (typeof temperature !== 'number' || temperature !== 0) {
    throw new RequestError(400, 'this server decodes greedily: "temperature" must be 0 (or absent)', 'temperature');
  }
  if (b.n !== undefined && b.n !== 1) throw new RequestError(400, '"n" must be 1', 'n');
  if (b.best_of !== undefined && b.best_of !== 1) throw new RequestError(400, '"best_of" must be 1', 'best_of');
  if (b.stream === true) throw new RequestError(400, 'streaming is not supported', 'stream');
  let stop: string[] = [];
  if (typeof b.stop === 'string') stop = [b.stop];
  else if (Array.isArray(b.stop) && b.stop.every((s) => typeof s === 'string')) stop = b.stop as string[];
  else if (b.stop !== undefined && b.stop !== null) throw new RequestError(400, '"stop" must be a string or an array of strings', 'stop');
  return { prompts, maxTokens, echo, logprobs: logprobs as number | null, stop };
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function sendError(res: ServerResponse, status: number, message: string, param: string | null, type = 'invalid_request_error'): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  sendJson(res, status, { error: { message, type, param, code: null } });
}
