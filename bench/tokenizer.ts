// Benchmark: subword tokenizer training time and encoding throughput (tokens/s) on a few MB of
// the real task texts, against the word tokenizer BM25 and the n-gram LM use
// (src/lib/ml/tokenize.ts) on the same texts, in this process.
//
//   npx vite-node bench/tokenizer.ts [--tasks DIR] [--mb 4] [--vocab 8000]

import { performance } from 'node:perf_hooks';
import { listTaskFolders, loadTaskFolder } from '../src/lib/data/task-folder.js';
import { tokenize } from '../src/lib/ml/tokenize.js';
import { byteToken, BPE, Tokenizer, trainByteLevelBpe, trainWordPiece } from '../src/lib/nn/tokenizer/index.js';
import { DecoderSequence, ByteFallbackDecoder, FuseDecoder, ReplaceDecoder, StripDecoder } from '../src/lib/nn/tokenizer/decoders.js';
import { Metaspace } from '../src/lib/nn/tokenizer/pre-tokenizers.js';
import { NormalizerSequence, Prepend, Replace } from '../src/lib/nn/tokenizer/normalizers.js';
import { learnMerges } from '../src/lib/nn/tokenizer/trainers/merge-trainer.js';
import { countWords } from '../src/lib/nn/tokenizer/trainers/word-counts.js';
import { splitRows } from './task-rows.js';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return (i >= 0 ? process.argv[i + 1] : undefined) ?? fallback;
}

const tasksDir = arg('tasks', '/work/shared/data/tasks');
const megabytes = Number(arg('mb', '4'));
const vocabSize = Number(arg('vocab', '8000'));

async function readTexts(limitBytes: number): Promise<string[]> {
  // Round-robin over tasks so every kind of text is in the sample.
  const perTask: string[][] = [];
  for (const dir of await listTaskFolders(tasksDir)) {
    const task = await loadTaskFolder(dir, { splits: ['train'], maxRows: { train: 20000 } });
    perTask.push(splitRows(task, 'train').map((r) => `${Object.values(r.fields).join('\n')}\n${r.output}`));
  }
  const out: string[] = [];
  let bytes = 0;
  for (let i = 0; bytes < limitBytes; i++) {
    let added = false;
    for (const texts of perTask) {
      const text = texts[i];
      if (text !== undefined) {
        out.push(text);
        bytes += Buffer.byteLength(text);
        added = true;
      }
    }
    if (!added) break;
  }
  return out;
}

/** A Llama-layout tokenizer (Prepend+Replace normalizer, no pre-tokenizer, byte fallback) with merges learnt on ▁-words. */
function llamaStyle(texts: string[]): Tokenizer {
  const meta = new Metaspace('\u2581', 'always', true);
  const bytes = Array.from({ length: 256 }, (_, b) => byteToken(b));
  const { vocab, merges } = learnMerges(countWords(texts, null, meta), { vocabSize, minFrequency: 2, specialTokens: ['<unk>', '<s>', '</s>', ...bytes] });
  return new Tokenizer({
    normalizer: new NormalizerSequence([new Prepend('\u2581'), new Replace({ String: ' ' }, '\u2581')]),
    model: new BPE(vocab.map((t, i) => [t, i]), merges, { unkToken: '<unk>', byteFallback: true, fuseUnk: true }),
    decoder: new DecoderSequence([new ReplaceDecoder({ String: '\u2581' }, ' '), new ByteFallbackDecoder(), new FuseDecoder(), new StripDecoder(' ', 1, 0)]),
  });
}

function time<T>(fn: () => T): [T, number] {
  const t0 = performance.now();
  const v = fn();
  return [v, (performance.now() - t0) / 1000];
}

async function main(): Promise<void> {
  const texts = await readTexts(megabytes * 1e6);
  const mb = texts.reduce((n, t) => n + Buffer.byteLength(t), 0) / 1e6;
  const trainTexts = texts.slice(0, Math.ceil(texts.length / 4));
  console.log(`${texts.length} texts, ${mb.toFixed(1)} MB; training on the first quarter (${trainTexts.length} texts), vocabulary ${vocabSize}`);

  const [, wordSec] = time(() => texts.reduce((n, t) => n + tokenize(t).length, 0));
  const [wordTokens, wordSec2] = time(() => texts.reduce((n, t) => n + tokenize(t).length, 0));
  const wordRate = wordTokens / Math.min(wordSec, wordSec2);
  console.log(`peer: word tokenizer (src/lib/ml/tokenize.ts): ${(wordRate / 1e6).toFixed(2)} M tokens/s`);

  const rows: string[] = [];
  for (const [name, train] of [
    ['WordPiece (BERT layout)', () => trainWordPiece(trainTexts, { vocabSize })],
    ['byte-level BPE (GPT-2 layout)', () => trainByteLevelBpe(trainTexts, { vocabSize })],
    ['SentencePiece-style BPE (Llama layout, no pre-tokenizer)', () => llamaStyle(trainTexts)],
  ] as const) {
    const [tok, trainSec] = time(train);
    // Cold: a fresh copy, so the word cache starts empty; warm: the second pass.
    const fresh = tok;
    const [cold, coldSec] = time(() => texts.reduce((n, t) => n + fresh.tokenizeToIds(t).length, 0));
    const [, warmSec] = time(() => texts.reduce((n, t) => n + fresh.tokenizeToIds(t).length, 0));
    const [, batchSec] = time(() => {
      for (let i = 0; i < texts.length; i += 32) fresh.encodeBatch(texts.slice(i, i + 32), { maxLength: 128 });
    });
    const rate = (sec: number): string => `${(cold / sec / 1e6).toFixed(2)} M tokens/s (${(mb / sec).toFixed(1)} MB/s, ${((cold / sec) / wordRate).toFixed(2)}× the word tokenizer)`;
    rows.push(`| ${name} | ${trainSec.toFixed(1)} s | ${cold} | ${rate(coldSec)} | ${rate(warmSec)} | ${(texts.length / batchSec / 1e3).toFixed(1)} k texts/s |`);
    const sample = texts[7];
    if (sample === undefined) throw new Error(`${texts.length} texts: the decode check reads the eighth`);
    if (fresh.decode(fresh.tokenizeToIds(sample)).length === 0) throw new Error('decode gave nothing');
  }
  console.log('\n| tokenizer | training (1/4 of the text) | tokens | encoding, cold cache | encoding, warm cache | encodeBatch (32 × ≤128) |');
  console.log('|---|---|---|---|---|---|');
  for (const r of rows) console.log(r);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
