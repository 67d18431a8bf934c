// hf://<owner>/<model>@<revision> through the Hub cache: a model folder served by a loopback Hub
// loads into the same model as the local folder, offline afterwards, and bad repositories are
// reported by name.

import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { fetchHubModel, parseHubRef } from '../../src/lib/hub/index.js';
import { initBackend } from '../../src/lib/nn/backend.js';
import { BertEncoder } from '../../src/lib/nn/models/bert.js';
import { loadPretrained, savePretrained } from '../../src/lib/nn/pretrained.js';
import { HubContractServer, type HubFile } from '../data/hub-contract-server.js';
import { caught } from '../data/caught.js';

const bertTiny = { vocabSize: 20, hiddenSize: 8, numLayers: 1, numHeads: 2, intermediateSize: 12, maxPositions: 8, hiddenDropout: 0, attentionDropout: 0 };
let root: string;
let files: HubFile[];
let server: HubContractServer | undefined;

function hidden(model: BertEncoder): number[] {
  return tf.tidy(() => Array.from(model.forward({ inputIds: tf.tensor2d([[2, 7, 4, 9, 1]], [1, 5], 'int32') }).hidden.dataSync()));
}

beforeAll(async () => {
  await initBackend();
  root = mkdtempSync(join(tmpdir(), 'retort-hub-model-'));
  const local = join(root, 'local');
  await savePretrained(local, new BertEncoder(bertTiny, 3), { tokenizerJson: '{"version":"1.0"}' });
  files = readdirSync(local).map((name) => ({ path: name, content: readFileSync(join(local, name)), lfs: name.endsWith('.safetensors') }));
  files.push({ path: 'pytorch_model.bin', content: Buffer.from('not read'), lfs: true });
});
afterAll(() => rmSync(root, { recursive: true, force: true }));
afterEach(async () => {
  await server?.stop();
  server = undefined;
});

async function serve(repo: string, served: HubFile[]): Promise<Record<string, string>> {
  server = new HubContractServer(repo, 'main', served, 'model');
  await server.start();
  return { HF_ENDPOINT: server.url, HF_HUB_CACHE: mkdtempSync(join(root, 'cache-')) };
}

describe('hf:// model references', () => {
  it('parse with or without the models/ prefix', () => {
    expect(parseHubRef('hf://intfloat/e5-base@v2')).toEqual({ type: 'model', owner: 'intfloat', name: 'e5-base', revision: 'v2', path: '' });
    expect(parseHubRef('hf://models/intfloat/e5-base/onnx')).toEqual({ type: 'model', owner: 'intfloat', name: 'e5-base', revision: 'main', path: 'onnx' });
    expect(() => parseHubRef('hf://datasets/a/b', 'model')).toThrow(/not a Hugging Face model reference/);
    expect(() => parseHubRef('hf://a', 'model')).toThrow(/not a Hugging Face reference \(expected hf:\/\/<owner>\/<model>/);
  });

  it('load through the Hub cache into the same model as the local folder, then offline', async () => {
    const env = await serve('acme/tiny-bert', files);
    const fromLocal = await loadPretrained(join(root, 'local'));
    const fromHub = await loadPretrained('hf://acme/tiny-bert', { hub: { env } });
    expect(hidden(fromHub.model as BertEncoder)).toEqual(hidden(fromLocal.model as BertEncoder));
    expect(fromHub.tokenizerPath).toMatch(/models--acme--tiny-bert\/snapshots\/[0-9a-f]{40}\/tokenizer\.json$/);
    // Only the files a model folder needs are fetched.
    const fetched = server!.requests.filter((r) => r.path.includes('/resolve/')).map((r) => r.path.split('/').at(-1)).sort();
    expect(fetched).toEqual(['config.json', 'model.safetensors', 'tokenizer.json']);
    await server!.stop();
    const offline = await loadPretrained('hf://acme/tiny-bert@main', { hub: { env } });
    expect(hidden(offline.model as BertEncoder)).toEqual(hidden(fromLocal.model as BertEncoder));
    fromLocal.model.dispose();
    fromHub.model.dispose();
    offline.model.dispose();
  });

  it('a repository without config.json or model.safetensors is a clear error', async () => {
    let env = await serve('acme/weights-only', files.filter((f) => f.path !== 'config.json'));
    expect((await caught(fetchHubModel('hf://acme/weights-only', { env }))).message).toMatch(/hf:\/\/acme\/weights-only@main: no config\.json: not a Hugging Face model folder/);
    await server!.stop();
    env = await serve('acme/torch-only', files.filter((f) => f.path !== 'model.safetensors'));
    expect((await caught(fetchHubModel('hf://acme/torch-only', { env }))).message).toMatch(/no model\.safetensors \(it has pytorch_model\.bin; only a single model\.safetensors is read\)/);
    expect((await caught(fetchHubModel('hf://acme/missing', { env }))).message).toMatch(/HTTP 404/);
  });
});
