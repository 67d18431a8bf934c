// Opening a language model from what a recipe passes between stages: a model directory holding
// lm.json (written by the ngram-lm plugin, or by hand for a server), or a model file.
//
//   {"backend": "ngram", "file": "model.ngram", "lambda": 0.3, "mu": 0.5}
//   {"backend": "openai", "baseUrl": "http://127.0.0.1:8000/v1", "model": "llama-7b", "batchSize": 16}
// The openai backend's API key is never stored in lm.json: it comes from OPENAI_API_KEY.

import { readFile, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { DataError } from '../../data/errors.js';
import { NgramLM } from './ngram.js';
import { OpenAICompletionsLM, type OpenAIOptions } from './openai.js';
import type { LanguageModel } from './types.js';

export const LM_DESCRIPTOR = 'lm.json';

export type LmDescriptor =
  | { backend: 'ngram'; file: string; lambda?: number; mu?: number; kappa?: number; tau?: number | 'loo'; omega?: number | 'loo' }
  | ({ backend: 'openai' } & Pick<OpenAIOptions, 'baseUrl' | 'model' | 'batchSize' | 'concurrency' | 'maxRetries' | 'timeoutMs' | 'scoreMaxTokens'>);

export async function writeLmDescriptor(dir: string, d: LmDescriptor): Promise<void> {
  await writeFile(join(dir, LM_DESCRIPTOR), JSON.stringify(d, null, 2) + '\n');
}

export interface OpenLmOptions {
  /** Environment for the openai backend (API key, default URL). */
  env?: Record<string, string | undefined>;
}

/** Opens the model at `path`: a directory with lm.json, an lm.json file, or a .ngram model file. */
export async function openLanguageModel(path: string, opts: OpenLmOptions = {}): Promise<LanguageModel> {
  let s;
  try {
    s = await stat(path);
  } catch {
    throw new DataError(path, 0, 'language model not found (expected a model directory with lm.json, an lm.json, or a .ngram file)');
  }
  const descriptorFile = s.isDirectory() ? join(path, LM_DESCRIPTOR) : path.endsWith('.json') ? path : null;
  if (descriptorFile === null) return NgramLM.load(path);
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(descriptorFile, 'utf8'));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new DataError(descriptorFile, 0, code === 'ENOENT' ? 'file not found (is this a language-model directory?)' : `invalid JSON: ${(e as Error).message}`);
  }
  const d = raw as LmDescriptor;
  if (d?.backend === 'ngram') {
    if (typeof d.file !== 'string') throw new DataError(descriptorFile, 0, '"file" must name the model file');
    return NgramLM.load(join(dirname(descriptorFile), d.file), { lambda: d.lambda, mu: d.mu, kappa: d.kappa, tau: d.tau, omega: d.omega });
  }
  if (d?.backend === 'openai') {
    const { backend: _backend, ...rest } = d;
    return new OpenAICompletionsLM({ ...rest, env: opts.env ?? process.env });
  }
  throw new DataError(descriptorFile, 0, `"backend" must be "ngram" or "openai", got ${JSON.stringify((raw as { backend?: unknown })?.backend)}`);
}
