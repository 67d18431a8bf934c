// model-import: a model folder fetched from hf://… (a local Hub contract server) through the Hub
// cache, checked by loading it, and copied into the stage's output where loadPretrained reads it.

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import modelImport from '../../plugins/model-import/index.js';
import { initBackend } from '../../src/lib/nn/backend.js';
import { LlamaDecoder } from '../../src/lib/nn/models/llama.js';
import { loadPretrained, savePretrained } from '../../src/lib/nn/pretrained.js';
import { HubContractServer } from '../data/hub-contract-server.js';
import { runPlugin } from '../plugins/ctx.js';

const root = mkdtempSync(join(tmpdir(), 'retort-model-import-'));
let server: HubContractServer;
const saved = { endpoint: process.env.HF_ENDPOINT, cache: process.env.HF_HUB_CACHE };

beforeAll(async () => {
  await initBackend();
  const model = new LlamaDecoder({ vocabSize: 32, hiddenSize: 8, numLayers: 1, numHeads: 2, intermediateSize: 16, maxPositions: 32 }, 1);
  const src = join(root, 'src');
  await savePretrained(src, model, { tokenizerJson: '{"version": "1.0"}' });
  model.dispose();
  server = new HubContractServer('acme/tiny-llama', 'v1', ['config.json', 'model.safetensors', 'tokenizer.json'].map((f) => ({ path: f, content: readFileSync(join(src, f)), lfs: f.endsWith('.safetensors') })), 'model');
  await server.start();
  process.env.HF_ENDPOINT = server.url;
  process.env.HF_HUB_CACHE = join(root, 'cache');
});
afterAll(async () => {
  await server.stop();
  for (const [k, v] of [['HF_ENDPOINT', saved.endpoint], ['HF_HUB_CACHE', saved.cache]] as const) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  rmSync(root, { recursive: true, force: true });
});

describe('model-import', () => {
  it('fetches, checks and copies a model folder that loadPretrained then reads', async () => {
    const run = await runPlugin(modelImport, join(root, 'out'), { source: 'hf://acme/tiny-llama@v1' }, {});
    expect(run.logs.some((l) => /a llama model of \d+ weights/.test(l))).toBe(true);
    const { model } = await loadPretrained(join(root, 'out', 'model'));
    expect(model).toBeInstanceOf(LlamaDecoder);
    model.dispose();
    expect(readFileSync(join(root, 'out', 'model', 'tokenizer.json'), 'utf8')).toBe('{"version": "1.0"}');
  });

  it('a reference to a folder without config.json fails clearly', async () => {
    await expect(runPlugin(modelImport, join(root, 'none'), { source: 'hf://acme/tiny-llama@v1/missing' }, {})).rejects.toThrow(/no missing\/config\.json: not a Hugging Face model folder/);
  });
});
