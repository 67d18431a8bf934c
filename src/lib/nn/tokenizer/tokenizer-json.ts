// Reading Hugging Face tokenizer.json files into a Tokenizer (writing is Tokenizer.toJSON/save).

import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { addedToken, type AddedToken } from './added-tokens.js';
import { parseDecoder } from './decoders.js';
import { at, locatedError, TokenizerError, unsupportedType, type JsonLocation } from './errors.js';
import { Fields } from './json-fields.js';
import { BPE } from './models/bpe.js';
import type { SubwordModel } from './models/model.js';
import { WordPiece } from './models/wordpiece.js';
import { parseNormalizer } from './normalizers.js';
import { parsePostProcessor } from './post-processors.js';
import { parsePreTokenizer } from './pre-tokenizers.js';
import { parsePadding, parseTruncation } from './settings.js';
import { Tokenizer } from './tokenizer.js';

export const TOKENIZER_FILE = 'tokenizer.json';
export const MODEL_TYPES = ['WordPiece', 'BPE'] as const;

/** Loads a tokenizer.json file, or the tokenizer.json inside a folder (an HF model folder). */
export async function loadTokenizer(path: string): Promise<Tokenizer> {
  const file = await resolveTokenizerFile(path);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new TokenizerError(`${file}: cannot read: ${(e as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new TokenizerError(`${file}: invalid JSON: ${(e as Error).message}`);
  }
  return tokenizerFromJSON(json, file);
}

export async function resolveTokenizerFile(path: string): Promise<string> {
  try {
    return (await stat(path)).isDirectory() ? join(path, TOKENIZER_FILE) : path;
  } catch {
    throw new TokenizerError(`${path}: tokenizer file not found`);
  }
}

/** Builds a Tokenizer from parsed tokenizer.json content; `file` names the source in errors. */
export function tokenizerFromJSON(json: unknown, file = TOKENIZER_FILE): Tokenizer {
  const top = Fields.of(json, { file, path: '' });
  const optional = <T>(key: string, parse: (f: Fields) => T): T | null => (top.has(key) ? parse(top.object(key)) : null);
  const normalizer = optional('normalizer', parseNormalizer);
  return new Tokenizer({
    model: parseModel(top.object('model')),
    normalizer,
    preTokenizer: optional('pre_tokenizer', parsePreTokenizer),
    postProcessor: optional('post_processor', parsePostProcessor),
    decoder: optional('decoder', parseDecoder),
    addedTokens: top.has('added_tokens') ? top.elements('added_tokens').map(parseAddedToken) : [],
    truncation: optional('truncation', parseTruncation),
    padding: optional('padding', parsePadding),
  });
}

function parseAddedToken(f: Fields): AddedToken {
  const special = f.bool('special', false);
  return addedToken(f.int('id'), f.string('content'), {
    singleWord: f.bool('single_word', false),
    lstrip: f.bool('lstrip', false),
    rstrip: f.bool('rstrip', false),
    normalized: f.bool('normalized', !special),
    special,
  });
}

function readVocab(f: Fields): [string, number][] {
  const v = f.object('vocab');
  const seen = new Map<number, string>();
  return Object.entries(v.obj).map(([token, id]) => {
    if (typeof id !== 'number' || !Number.isInteger(id) || id < 0) throw locatedError(v.loc, `entry '${token}' must map to a non-negative integer id, got ${JSON.stringify(id)}`);
    const other = seen.get(id);
    if (other !== undefined) throw locatedError(v.loc, `id ${id} is used by both '${other}' and '${token}'`);
    seen.set(id, token);
    return [token, id];
  });
}

/** Merges as "a b" strings (older files) or ["a", "b"] pairs (tokenizers ≥ 0.20). */
function readMerges(f: Fields): [string, string][] {
  const loc = f.at('merges');
  return f.array('merges').map((m, i) => {
    if (typeof m === 'string') {
      const [a, b, ...rest] = m.split(' ');
      if (a === undefined || b === undefined || rest.length > 0) throw locatedError(at(loc, i), `'${m}' must be two tokens separated by one space`);
      return [a, b];
    }
    if (Array.isArray(m) && m.length === 2 && typeof m[0] === 'string' && typeof m[1] === 'string') return [m[0], m[1]];
    throw locatedError(at(loc, i), 'must be "a b" or ["a", "b"]');
  });
}

function located<T>(loc: JsonLocation, build: () => T): T {
  try {
    return build();
  } catch (e) {
    if (e instanceof TokenizerError && !e.message.startsWith(loc.file)) throw new TokenizerError(`${loc.file}: ${loc.path}: ${e.message}`);
    throw e;
  }
}

/** Files written by early `tokenizers` versions leave out model.type; HF tells the model by its fields. */
function inferModelType(f: Fields): unknown {
  if (f.has('type')) return f.raw('type');
  if (f.has('merges')) return 'BPE';
  if (f.has('max_input_chars_per_word') || f.has('continuing_subword_prefix')) return 'WordPiece';
  if (Array.isArray(f.raw('vocab'))) return 'Unigram';
  return f.has('vocab') ? 'WordLevel' : undefined;
}

export function parseModel(f: Fields): SubwordModel {
  const type = inferModelType(f);
  switch (type) {
    case 'WordPiece':
      return located(f.loc, () => new WordPiece(readVocab(f), {
        unkToken: f.string('unk_token', '[UNK]'),
        continuingSubwordPrefix: f.string('continuing_subword_prefix', '##'),
        maxInputCharsPerWord: f.int('max_input_chars_per_word', 100),
      }));
    case 'BPE': {
      const dropout = f.optNumber('dropout');
      if (dropout !== null && dropout !== 0) throw locatedError(f.at('dropout'), `${dropout} is not supported (BPE dropout is a training-time augmentation); set it to null`);
      return located(f.loc, () => new BPE(readVocab(f), readMerges(f), {
        unkToken: f.optString('unk_token'),
        continuingSubwordPrefix: f.optString('continuing_subword_prefix'),
        endOfWordSuffix: f.optString('end_of_word_suffix'),
        fuseUnk: f.bool('fuse_unk', false),
        byteFallback: f.bool('byte_fallback', false),
        ignoreMerges: f.bool('ignore_merges', false),
      }));
    }
    default:
      throw unsupportedType(f.loc, type, MODEL_TYPES);
  }
}
