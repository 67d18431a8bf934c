// The `model-import` stage: a Hugging Face model folder (config.json, model.safetensors, the
// tokenizer files) fetched from hf://<owner>/<model>@<revision> through the pretrained-weights
// loader's Hub cache and checked by loading it, so stages that take a model folder on an input
// (nat-student's base, asc-vote's model) can start from published weights.

import { constants, existsSync } from 'node:fs';
import { copyFile } from 'node:fs/promises';
import { join } from 'node:path';
import { definePlugin, NodeFailure } from '../../src/plugin/api.js';
import { backendRuntime, initBackend } from '../../src/lib/nn/backend.js';
import { fetchHubModel, MODEL_FILES } from '../../src/lib/hub/model.js';
import { isHubRef } from '../../src/lib/hub/ref.js';
import { loadPretrained } from '../../src/lib/nn/pretrained.js';

export default definePlugin({
  id: 'model-import',
  version: '1.0.0',
  description: 'A Hugging Face model folder from hf://<owner>/<model>@<revision>, fetched through the Hub cache and checked by loading it.',
  params: {
    type: 'object',
    additionalProperties: false,
    required: ['source'],
    properties: {
      source: { type: 'string', pattern: '^hf://', description: 'hf://<owner>/<model>@<revision>[/<sub-folder>] (pin a commit for a stable key).' },
      check: { type: 'boolean', default: true, description: 'Load the weights once to check that config.json and model.safetensors agree.' },
    },
  },
  outputs: { model: { description: 'config.json, model.safetensors and the tokenizer files the repository has.' } },
  runtime: backendRuntime,
  async run(ctx) {
    const p = ctx.params;
    if (!isHubRef(p.source)) throw new NodeFailure(`source must be hf://<owner>/<model>@<revision>, got "${p.source}"`);
    // Credentials, the endpoint and the cache location come from the environment, never the key.
    const dir = await fetchHubModel(p.source, { env: process.env, signal: ctx.signal });
    if (p.check) {
      await initBackend();
      const { model, arch } = await loadPretrained(dir);
      ctx.log.info(`${p.source}: a ${arch.family} model of ${model.size()} weights`);
      model.dispose();
    }
    const out = ctx.output('model');
    const files = MODEL_FILES.filter((f) => existsSync(join(dir, f)));
    // A copy-on-write clone where the filesystem offers one; a plain copy otherwise.
    for (const f of files) await copyFile(join(dir, f), join(out, f), constants.COPYFILE_FICLONE);
    ctx.log.info(`copied ${files.join(', ')}`);
  },
});
