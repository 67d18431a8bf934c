// The `tokenizer` plugin: trains on the tasks' train pools, or validates and copies a user's file.
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import tokenizerPlugin from '../../plugins/tokenizer/index.js';
import { demonstrationTexts } from '../../src/lib/ml/lm/train-texts.js';
import { loadTokenizer, trainByteLevelBpe, trainWordPiece } from '../../src/lib/nn/tokenizer/core.js';
import { materializeTasks } from '../../src/lib/tasks/materialize.js';
import { runPlugin } from '../plugins/ctx.js';
import { bertJson } from './tokenizer-fixtures.js';

let root: string;
let tasks: string;
const NAMES = ['gen_reviews', 'gen_country_facts', 'gen_cause_effect'];

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'retort-tokenizer-plugin-'));
  tasks = join(root, 'tasks');
  await materializeTasks(tasks, { source: { kind: 'builtin', trainSize: 60, testSize: 10 }, seed: 3, tasks: NAMES });
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('tokenizer plugin', () => {
  it('has a valid params schema with defaults', () => {
    const validate = new Ajv2020({ strict: true, useDefaults: true }).compile(tokenizerPlugin.params);
    const params: Record<string, unknown> = { model: 'bpe' };
    expect(validate(params)).toBe(true);
    expect(params).toMatchObject({ model: 'bpe', vocabSize: 8000, minFrequency: 2, splits: ['train'] });
    expect(validate({ model: 'unigram' })).toBe(false);
    expect(validate({ vocabSize: 0 })).toBe(false);
    expect(validate({ specialTokens: ['a', 'a'] })).toBe(false);
  });

  it('trains WordPiece on the train pools, deterministically, covering the texts', async () => {
    const a = await runPlugin(tokenizerPlugin, join(root, 'wp-a'), { vocabSize: 400 }, { tasks });
    const b = await runPlugin(tokenizerPlugin, join(root, 'wp-b'), { vocabSize: 400 }, { tasks });
    const file = join(a.outDir, 'tokenizer', 'tokenizer.json');
    expect(readFileSync(file).equals(readFileSync(join(b.outDir, 'tokenizer', 'tokenizer.json')))).toBe(true);
    // The file is the tokenizer trained in process on the rendered demonstrations.
    const { texts } = await demonstrationTexts(tasks);
    expect(texts).toHaveLength(180);
    const local = trainWordPiece(texts, { vocabSize: 400 });
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual(JSON.parse(JSON.stringify(local.toJSON())));
    const tok = await loadTokenizer(file);
    expect(tok.model.type).toBe('WordPiece');
    expect(a.metrics['tokenizer/unknown_rate']).toBe(0);
    expect(a.metrics['tokenizer/texts']).toBe(180);
    expect(a.metrics['tokenizer/vocab_size']).toBeLessThanOrEqual(400);
    const info = JSON.parse(readFileSync(join(a.outDir, 'tokenizer', 'info.json'), 'utf8')) as { source: string; perTask: Record<string, number> };
    expect(info.source).toBe('trained');
    expect(Object.keys(info.perTask).sort()).toEqual([...NAMES].sort());
  });

  it('trains byte-level BPE with its params', async () => {
    const r = await runPlugin(tokenizerPlugin, join(root, 'bpe'), { model: 'bpe', vocabSize: 300, minFrequency: 3, specialTokens: ['<pad>', '<s>'] }, { tasks });
    const tok = await loadTokenizer(join(r.outDir, 'tokenizer'));
    const { texts } = await demonstrationTexts(tasks);
    const local = trainByteLevelBpe(texts, { vocabSize: 300, minFrequency: 3, specialTokens: ['<pad>', '<s>'] });
    expect(tok.toJSON()).toEqual(JSON.parse(JSON.stringify(local.toJSON())));
    expect(tok.idToToken(1)).toBe('<s>');
    for (const t of texts.slice(0, 20)) expect(tok.decode(tok.encode(t).ids)).toBe(t);
  });

  it('validates and copies a user\'s tokenizer.json unchanged, with metrics on the tasks', async () => {
    const dir = join(root, 'user-model');
    await mkdir(dir, { recursive: true });
    const text = JSON.stringify(bertJson(), null, 1);
    await writeFile(join(dir, 'tokenizer.json'), text);
    const r = await runPlugin(tokenizerPlugin, join(root, 'copy'), {}, { tasks, tokenizer: dir });
    expect(readFileSync(join(r.outDir, 'tokenizer', 'tokenizer.json'), 'utf8')).toBe(text);
    expect(r.metrics['tokenizer/vocab_size']).toBe(23);
    expect(r.metrics['tokenizer/unknown_rate']).toBeGreaterThan(0.5); // a 22-word vocabulary knows little
    const alone = await runPlugin(tokenizerPlugin, join(root, 'copy-alone'), {}, { tokenizer: join(dir, 'tokenizer.json') });
    expect(alone.metrics['tokenizer/texts']).toBeUndefined();
  });

  it('rejects an unsupported user file and missing inputs clearly', async () => {
    const bad = join(root, 'unigram.json');
    await writeFile(bad, JSON.stringify({ ...bertJson(), model: { type: 'Unigram', vocab: [] } }));
    await expect(runPlugin(tokenizerPlugin, join(root, 'bad'), {}, { tokenizer: bad })).rejects.toThrow(/unigram\.json: model\.type 'Unigram' is not supported; supported: WordPiece, BPE/);
    await expect(runPlugin(tokenizerPlugin, join(root, 'none'), {}, {})).rejects.toThrow(/needs a `tasks` input/);
    const empty = join(root, 'no-train');
    await mkdir(empty, { recursive: true });
    await expect(runPlugin(tokenizerPlugin, join(root, 'empty'), {}, { tasks: empty })).rejects.toThrow(/no train rows/);
  });
});
