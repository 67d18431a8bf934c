// The LLaRA stages called directly on the tiny fixture: pretrain a base LM, adapt it (EBAE +
// EBAR), fine-tune it with ANN negatives, evaluate it and BM25; and the bad inputs: a corpus
// without next-passage links turns EBAR off with a clear message, passages empty after stop-word
// removal are skipped and counted, two base models at once are refused.

import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import pretrain from '../../plugins/causal-lm-pretrain/index.js';
import adapt from '../../plugins/llara-adapt/index.js';
import finetune from '../../plugins/llara-finetune/index.js';
import evaluate from '../../plugins/llara-eval/index.js';
import { runPlugin } from '../plugins/ctx.js';

const here = dirname(fileURLToPath(import.meta.url));
const TINY = join(here, '..', 'fixtures', 'llara', 'tiny');
const work = mkdtempSync(join(tmpdir(), 'retort-llara-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const SMALL = { vocabSize: 500, hiddenSize: 16, numLayers: 1, numHeads: 2, maxLength: 48, steps: 4, batch: 8 };
const ADAPT = { steps: 3, batchSize: 4, maxLength: 96, logEvery: 1 };

async function baseModel(): Promise<string> {
  const out = join(work, 'base');
  if (!existsSync(join(out, 'model', 'config.json'))) await runPlugin(pretrain, out, SMALL, { corpus: TINY });
  return join(out, 'model');
}

/** A copy of the tiny corpus with its `next` links (and optionally its texts) changed. */
function variant(name: string, edit: (doc: Record<string, unknown>, i: number) => Record<string, unknown>): string {
  const dir = join(work, name);
  cpSync(TINY, dir, { recursive: true });
  const lines = readFileSync(join(TINY, 'corpus.jsonl'), 'utf8').trim().split('\n').map((l, i) => JSON.stringify(edit(JSON.parse(l), i)));
  writeFileSync(join(dir, 'corpus.jsonl'), lines.join('\n') + '\n');
  return dir;
}

describe('the LLaRA stages', () => {
  it('pretrain → adapt → fine-tune → evaluate, with BM25 measured the same way', async () => {
    const base = await baseModel();
    expect(JSON.parse(readFileSync(join(base, 'retrieval.json'), 'utf8')).pooling).toBe('last-token');
    const a = await runPlugin(adapt, join(work, 'adapted'), ADAPT, { corpus: TINY, model: base });
    expect(a.metrics['adapt/ebar_enabled']).toBe(1);
    expect(a.metrics['adapt/without_next']).toBe(4); // the last passage of each of the 4 towns
    expect(a.metrics['adapt/passages']).toBe(16);
    expect(Number.isFinite(a.metrics['adapt/loss'])).toBe(true);
    const adapted = join(work, 'adapted', 'model');
    expect(JSON.parse(readFileSync(join(adapted, 'retrieval.json'), 'utf8'))).toMatchObject({ pooling: 'llara', form: 'llara' });
    expect(JSON.parse(readFileSync(join(adapted, 'tokenizer.json'), 'utf8')).added_tokens.map((t: { content: string }) => t.content)).toContain('<s16>');

    const f = await runPlugin(finetune, join(work, 'tuned'), { steps: 2, batchSize: 4, groupSize: 2, mining: { source: 'ann', start: 0, end: 8 }, logEvery: 1 }, { beir: TINY, model: adapted });
    expect(f.metrics['finetune/groups']).toBeGreaterThan(0);
    const e = await runPlugin(evaluate, join(work, 'eval'), {}, { beir: [TINY], model: join(work, 'tuned', 'model') });
    for (const m of ['tiny/mrr_at_10', 'tiny/ndcg_at_10', 'tiny/recall_at_100']) expect(e.metrics[m]).toBeGreaterThanOrEqual(0);
    expect(e.metrics['tiny/recall_at_100']).toBe(1); // 16 passages: every one is retrieved
    const bm25 = await runPlugin(evaluate, join(work, 'bm25'), { retriever: 'bm25' }, { beir: [TINY] });
    expect(bm25.metrics['tiny/mrr_at_10']).toBeGreaterThan(0.5);
  });

  it('trains a bidirectional encoder of the same size from scratch on the same groups', async () => {
    const base = await baseModel();
    const groupsDir = join(work, 'groups');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(groupsDir, { recursive: true });
    writeFileSync(join(groupsDir, 'tiny.jsonl'), [
      JSON.stringify({ id: 'q0_0_0', positives: [{ id: 'd0p0' }], negatives: [{ id: 'd0p1' }, { id: 'd1p0' }] }),
      JSON.stringify({ id: 'q0_1_0', positives: [{ id: 'd0p1' }], negatives: [{ id: 'd0p2' }] }),
    ].join('\n') + '\n');
    const f = await runPlugin(finetune, join(work, 'bert'), { encoder: 'bidirectional', steps: 2, batchSize: 2, groupSize: 2, logEvery: 1 }, { beir: TINY, model: base, groups: groupsDir });
    expect(f.metrics['finetune/groups']).toBe(2);
    expect(JSON.parse(readFileSync(join(work, 'bert', 'model', 'retrieval.json'), 'utf8')).pooling).toBe('mean');
    const e = await runPlugin(evaluate, join(work, 'bert-eval'), {}, { beir: [TINY], model: join(work, 'bert', 'model') });
    expect(e.metrics['tiny/recall_at_100']).toBe(1);
  });

  it('trains the v1 paper form (one end-of-text embedding each) and with LoRA, merged into the saved weights', async () => {
    const base = await baseModel();
    const v1 = await runPlugin(adapt, join(work, 'v1'), { ...ADAPT, form: 'v1' }, { corpus: TINY, model: base });
    expect(Number.isFinite(v1.metrics['adapt/final_loss'])).toBe(true);
    expect(JSON.parse(readFileSync(join(work, 'v1', 'model', 'retrieval.json'), 'utf8')).form).toBe('v1');
    const e = await runPlugin(evaluate, join(work, 'v1-eval'), {}, { beir: [TINY], model: join(work, 'v1', 'model') });
    expect(e.metrics['tiny/recall_at_100']).toBe(1);
    const lora = await runPlugin(adapt, join(work, 'lora'), { ...ADAPT, lora: { rank: 2, alpha: 4 } }, { corpus: TINY, model: base });
    expect(Number.isFinite(lora.metrics['adapt/final_loss'])).toBe(true);
    const saved = JSON.parse(readFileSync(join(work, 'lora', 'model', 'config.json'), 'utf8'));
    expect(saved.vocab_size).toBe(JSON.parse(readFileSync(join(base, 'config.json'), 'utf8')).vocab_size + 16);
  });

  it('turns EBAR off with a clear message on a corpus without next-passage links', async () => {
    const base = await baseModel();
    const flat = variant('flat', ({ next: _n, ...doc }) => doc);
    const r = await runPlugin(adapt, join(work, 'flat-adapted'), ADAPT, { corpus: flat, model: base });
    expect(r.metrics['adapt/ebar_enabled']).toBe(0);
    expect(r.logs.some((l) => l.startsWith('warn: EBAR disabled') && l.includes('no next-passage structure'))).toBe(true);
    await expect(runPlugin(adapt, join(work, 'flat-ebar'), { ...ADAPT, ebae: false }, { corpus: flat, model: base })).rejects.toThrow(/nothing to train: ebae is off and .*no next-passage structure/);
  });

  it('skips and counts passages that are empty after stop-word removal', async () => {
    const base = await baseModel();
    const stop = variant('stop', (doc, i) => (i < 3 ? { ...doc, text: 'It was there, and so it is.' } : doc));
    const r = await runPlugin(adapt, join(work, 'stop-adapted'), ADAPT, { corpus: stop, model: base });
    expect(r.metrics['adapt/skipped_empty']).toBe(3);
    expect(r.metrics['adapt/passages']).toBe(13);
    expect(r.logs.some((l) => l.includes('3 passages had nothing left to predict after stop-word removal'))).toBe(true);
  });

  it('refuses two base models, and a corpus whose next id is unknown', async () => {
    const base = await baseModel();
    await expect(runPlugin(adapt, join(work, 'two'), { ...ADAPT, base }, { corpus: TINY, model: base })).rejects.toThrow(/exactly one base model/);
    const broken = variant('broken', (doc, i) => (i === 0 ? { ...doc, next: 'nowhere' } : doc));
    await expect(runPlugin(adapt, join(work, 'broken-adapted'), ADAPT, { corpus: broken, model: base })).rejects.toThrow(/corpus.jsonl:1.*"next" names passage "nowhere"/);
  });
});
