// hf://<owner>/<model>@<revision> as a local Hugging Face model folder (config.json,
// model.safetensors and the tokenizer files), fetched through the shared Hub cache.

import { DataError } from '../data/errors.js';
import { parseHubRef } from './ref.js';
import { fetchHubFiles, type HubOptions } from './snapshot.js';

/** What a model folder needs; weights other than safetensors (pytorch_model.bin) are not read. */
export const MODEL_FILES = [
  'config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json',
  'vocab.txt', 'vocab.json', 'merges.txt', 'generation_config.json',
];

/** Fetches the model files (of the repository, or of its sub-folder `path`) and returns the folder. */
export async function fetchHubModel(url: string, opts: HubOptions = {}): Promise<string> {
  const ref = parseHubRef(url, 'model');
  const prefix = ref.path ? `${ref.path}/` : '';
  const got = await fetchHubFiles({ ...ref, path: '' }, (paths, where) => {
    const wanted = MODEL_FILES.map((f) => `${prefix}${f}`).filter((p) => paths.includes(p));
    if (!wanted.includes(`${prefix}config.json`)) throw new DataError(where, 0, `no ${prefix}config.json: not a Hugging Face model folder`);
    if (!wanted.includes(`${prefix}model.safetensors`)) {
      const other = paths.filter((p) => p.startsWith(prefix) && /(\.bin|\.safetensors(\.index\.json)?|\.h5|\.msgpack)$/.test(p)).map((p) => p.slice(prefix.length));
      const seen = other.length ? ` (it has ${other.join(', ')}; only a single model.safetensors is read)` : '';
      throw new DataError(where, 0, `no ${prefix}model.safetensors${seen}`);
    }
    return wanted;
  }, opts);
  return ref.path ? `${got.dir}/${ref.path}` : got.dir;
}
