// tokenizer.json: load → save → load round trips, and located errors for what is not supported.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadTokenizer, tokenizerFromJSON, TokenizerError } from '../../src/lib/nn/tokenizer/core.js';
import { bertJson, gpt2Json, llamaJson } from './tokenizer-fixtures.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'retort-tokenizer-io-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const TEXTS = ['Hello, World! Café unaffable 中文', 'hello the world  \n\t x', 'naïve 😀 <|endoftext|> <s>hello</s>', 'hi é world', "it's", ''];

const FAMILIES: [string, Record<string, unknown>][] = [
  ['bert', bertJson({ truncation: { direction: 'Left', max_length: 7, strategy: 'LongestFirst', stride: 0 } })],
  ['gpt2-pairs', gpt2Json('pairs', { padding: { strategy: { Fixed: 64 }, direction: 'Left', pad_to_multiple_of: null, pad_id: 263, pad_type_id: 0, pad_token: '<|endoftext|>' } })],
  ['gpt2-strings', gpt2Json('strings')],
  ['llama', llamaJson('normalizer')],
  ['llama-metaspace', llamaJson('metaspace')],
];

async function writeJson(name: string, json: unknown): Promise<string> {
  const file = join(dir, name);
  await writeFile(file, JSON.stringify(json));
  return file;
}

describe('tokenizer.json round trip', () => {
  it.each(FAMILIES)('%s: load → save → load gives the same encodings and the same file', async (name, json) => {
    const a = await loadTokenizer(await writeJson(`${name}.json`, json));
    const saved = join(dir, `${name}-saved.json`);
    await a.save(saved);
    const b = await loadTokenizer(saved);
    for (const t of TEXTS) {
      expect(b.encode(t)).toEqual(a.encode(t));
      expect(b.encode(t, { pair: TEXTS[0] })).toEqual(a.encode(t, { pair: TEXTS[0] }));
      expect(b.decode(a.encode(t).ids)).toBe(a.decode(a.encode(t).ids));
    }
    expect(b.encodeBatch(TEXTS)).toEqual(a.encodeBatch(TEXTS));
    const again = join(dir, `${name}-again.json`);
    await b.save(again);
    expect(await readFile(again, 'utf8')).toBe(await readFile(saved, 'utf8'));
    // The settings stored in the file survive too.
    expect(b.truncation).toEqual(a.truncation);
    expect(b.padding).toEqual(a.padding);
  });

  it('writes the HF layout: top-level keys in order, merges as strings, flags of added tokens', async () => {
    const t = tokenizerFromJSON(gpt2Json('pairs'));
    const json = t.toJSON();
    expect(Object.keys(json)).toEqual(['version', 'truncation', 'padding', 'added_tokens', 'normalizer', 'pre_tokenizer', 'model', 'post_processor', 'decoder']);
    expect((json.model as { merges: unknown[] }).merges[0]).toBe('Ġ t');
    expect((json.added_tokens as unknown[])[0]).toEqual({ id: 263, content: '<|endoftext|>', single_word: false, lstrip: false, rstrip: false, normalized: false, special: true });
  });

  it('writes merges as pairs when a token holds a space', () => {
    const json = gpt2Json('pairs');
    const model = json.model as { vocab: Record<string, number>; merges: unknown[] };
    model.vocab['a b'] = 264;
    model.vocab['a bc'] = 265;
    model.merges.push(['a b', 'c']);
    const t = tokenizerFromJSON(json);
    expect((t.toJSON().model as { merges: unknown[] }).merges.at(-1)).toEqual(['a b', 'c']);
  });

  it('tells the model by its fields when an early file leaves out model.type', () => {
    const wp = bertJson();
    delete (wp.model as Record<string, unknown>).type;
    expect(tokenizerFromJSON(wp).model.type).toBe('WordPiece');
    const bpe = gpt2Json('strings');
    delete (bpe.model as Record<string, unknown>).type;
    expect(tokenizerFromJSON(bpe).encode('hello the').ids).toEqual(tokenizerFromJSON(gpt2Json()).encode('hello the').ids);
  });

  it('loads the tokenizer.json of a model folder', async () => {
    await writeJson('tokenizer.json', bertJson());
    expect((await loadTokenizer(dir)).model.type).toBe('WordPiece');
  });
});

describe('unsupported or broken files', () => {
  async function loadError(json: unknown): Promise<string> {
    const file = await writeJson('bad.json', json);
    try {
      await loadTokenizer(file);
    } catch (e) {
      expect(e).toBeInstanceOf(TokenizerError);
      return (e as Error).message.replace(file, 'bad.json');
    }
    throw new Error('loaded');
  }

  it('names the file and the JSON path of the unsupported component', async () => {
    expect(await loadError({ ...bertJson(), model: { type: 'Unigram', vocab: [] } })).toBe("bad.json: model.type 'Unigram' is not supported; supported: WordPiece, BPE");
    expect(await loadError(bertJson({ normalizer: { type: 'Precompiled', precompiled_charsmap: '' } }))).toMatch(/^bad\.json: normalizer\.type 'Precompiled' is not supported; supported: BertNormalizer, /);
    expect(await loadError(bertJson({ pre_tokenizer: { type: 'Sequence', pretokenizers: [{ type: 'Whitespace' }, { type: 'UnicodeScripts' }] } })))
      .toMatch(/^bad\.json: pre_tokenizer\.pretokenizers\[1\]\.type 'UnicodeScripts' is not supported; supported: BertPreTokenizer, ByteLevel/);
    expect(await loadError(bertJson({ decoder: { type: 'CTC' } }))).toMatch(/^bad\.json: decoder\.type 'CTC' is not supported; supported: WordPiece, /);
    expect(await loadError(bertJson({ post_processor: { type: 'Bogus' } }))).toMatch(/^bad\.json: post_processor\.type 'Bogus' is not supported; supported: TemplateProcessing, BertProcessing/);
    expect(await loadError(bertJson({ model: {} }))).toBe('bad.json: model.type is missing; supported: WordPiece, BPE');
    expect(await loadError(bertJson({ model: { vocab: [['a', 0]] } }))).toBe("bad.json: model.type 'Unigram' is not supported; supported: WordPiece, BPE");
  });

  it('locates bad fields, merges and templates', async () => {
    const g = gpt2Json('strings');
    (g.model as { merges: string[] }).merges[2] = 'Ġt he x';
    expect(await loadError(g)).toBe("bad.json: model.merges[2] 'Ġt he x' must be two tokens separated by one space");
    const h = gpt2Json('strings');
    (h.model as { merges: string[] }).merges.push('q z');
    expect(await loadError(h)).toBe("bad.json: model: BPE: merge 7 ('q' 'z') uses 'qz', which is not in the vocabulary");
    expect(await loadError(gpt2Json('strings', { model: { ...(gpt2Json().model as object), dropout: 0.1 } }))).toMatch(/^bad\.json: model\.dropout 0\.1 is not supported/);
    expect(await loadError(bertJson({ pre_tokenizer: { type: 'Metaspace', replacement: '▁', prepend_scheme: 'sometimes' } }))).toBe("bad.json: pre_tokenizer.prepend_scheme 'sometimes' is not one of always, first, never");
    const bad = bertJson();
    (bad.post_processor as { single: unknown[] }).single.push({ SpecialToken: { id: '[EOS]', type_id: 0 } });
    expect(await loadError(bad)).toBe("bad.json: post_processor.single uses '[EOS]', which special_tokens does not define");
    expect(await loadError(bertJson({ added_tokens: [{ id: -1, content: 'x' }] }))).toMatch(/^bad\.json: added_tokens\[0\]\.id must be a non-negative integer/);
    expect(await loadError([1, 2])).toBe('bad.json: (top level) must be an object, got an array');
  });

  it('reports missing files and invalid JSON', async () => {
    await expect(loadTokenizer(join(dir, 'nope.json'))).rejects.toThrow(/nope\.json: tokenizer file not found/);
    const file = join(dir, 'broken.json');
    await writeFile(file, '{"model": ');
    await expect(loadTokenizer(file)).rejects.toThrow(/broken\.json: invalid JSON/);
  });

  it('explains a Split regex that JavaScript cannot compile', async () => {
    expect(await loadError(gpt2Json('strings', { pre_tokenizer: { type: 'Split', pattern: { Regex: '(?<x' }, behavior: 'Isolated', invert: false } })))
      .toMatch(/^bad\.json: pre_tokenizer\.pattern regex cannot be compiled in JavaScript/);
  });
});
