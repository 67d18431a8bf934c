// The `tokenizer` stage: trains a WordPiece or byte-level BPE tokenizer on the train pools of a
// tasks directory (the texts rendered as demonstrations), or validates and passes on a user's own
// tokenizer.json; either way the output port holds a Hugging Face tokenizer.json.

import { copyFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { definePlugin, NodeFailure } from '../../src/plugin/api.js';
import { demonstrationTexts } from '../../src/lib/ml/lm/train-texts.js';
import {
  loadTokenizer, resolveTokenizerFile, TOKENIZER_FILE, trainByteLevelBpe, trainWordPiece, type Tokenizer,
} from '../../src/lib/nn/tokenizer/core.js';

/** Encoded by a user's tokenizer before it is accepted, to catch files that load but cannot encode. */
const PROBE = 'Hello, World! 123 café — naïve 東京 😀\n  tabs\tand  spaces';

export default definePlugin({
  id: 'tokenizer',
  version: '1.0.0',
  description: 'A subword tokenizer (WordPiece or byte-level BPE) trained on the tasks\' train pools, or a user\'s tokenizer.json validated; written as tokenizer.json.',
  params: {
    type: 'object',
    additionalProperties: false,
    properties: {
      model: { enum: ['wordpiece', 'bpe'], default: 'wordpiece', description: 'WordPiece (BERT layout: lower-casing, [CLS] A [SEP]) or byte-level BPE (GPT-2 layout).' },
      vocabSize: { type: 'integer', minimum: 1, default: 8000, description: 'Target vocabulary size, special tokens and alphabet included.' },
      minFrequency: { type: 'integer', minimum: 1, default: 2, description: 'Pairs seen fewer times are not merged.' },
      lowercase: { type: 'boolean', default: true, description: 'WordPiece only: lower-case and strip accents (uncased BERT).' },
      addPrefixSpace: { type: 'boolean', default: false, description: 'BPE only: a leading space before the first word, so it is spelt like the others.' },
      specialTokens: {
        type: 'array', items: { type: 'string', minLength: 1 }, uniqueItems: true,
        description: 'Special tokens, ids 0, 1, … (default: [PAD] [UNK] [CLS] [SEP] [MASK] for WordPiece, <pad> <|endoftext|> for BPE).',
      },
      splits: { type: 'array', items: { type: 'string' }, minItems: 1, default: ['train'], description: 'Splits whose rows are training text (tasks without them are skipped).' },
      maxRowsPerTask: { type: 'integer', minimum: 1, description: 'Read at most this many rows of each split of each task.' },
    },
  },
  inputs: {
    tasks: { optional: true, description: 'A directory of task folders (the tasks plugin\'s output) or one task folder: the training text.' },
    tokenizer: { optional: true, description: 'A user\'s tokenizer.json (or a model folder holding one): validated and copied instead of training.' },
  },
  outputs: {
    tokenizer: { description: 'tokenizer.json (Hugging Face format) and info.json.' },
  },
  async run(ctx) {
    const p = ctx.params;
    const tasksDir = ctx.inputs.tasks;
    const userFile = ctx.inputs.tokenizer;
    if (!tasksDir && !userFile) throw new NodeFailure('the tokenizer stage needs a `tasks` input to train on or a `tokenizer` input to validate');
    const out = ctx.output('tokenizer');
    const corpus = tasksDir ? await demonstrationTexts(tasksDir, { splits: p.splits, maxRowsPerTask: p.maxRowsPerTask }) : null;

    let tok: Tokenizer;
    let source: string;
    if (userFile) {
      const file = await resolveTokenizerFile(userFile);
      tok = await loadTokenizer(file);
      tok.encode(PROBE);
      await copyFile(file, join(out, TOKENIZER_FILE));
      source = 'user';
      ctx.log.info(`${file}: a ${tok.model.type} tokenizer with ${tok.vocabSize} tokens, copied unchanged`);
    } else {
      const texts = corpus!.texts;
      if (texts.length === 0) throw new NodeFailure(`no ${p.splits.join('/')} rows under ${tasksDir}: the tokenizer needs text to train on`);
      ctx.signal.throwIfAborted();
      ctx.log.info(`training a ${p.model} tokenizer (vocabulary ${p.vocabSize}) on ${texts.length} texts of ${Object.keys(corpus!.perTask).length} tasks`);
      tok = p.model === 'wordpiece'
        ? trainWordPiece(texts, { vocabSize: p.vocabSize, minFrequency: p.minFrequency, lowercase: p.lowercase, specialTokens: p.specialTokens })
        : trainByteLevelBpe(texts, { vocabSize: p.vocabSize, minFrequency: p.minFrequency, addPrefixSpace: p.addPrefixSpace, specialTokens: p.specialTokens });
      await tok.save(join(out, TOKENIZER_FILE));
      source = 'trained';
    }

    const info: Record<string, unknown> = { source, model: tok.model.type, vocabSize: tok.vocabSize };
    ctx.metric('tokenizer/vocab_size', tok.vocabSize);
    if (corpus && corpus.texts.length > 0) {
      // How the tokenizer fits the text: mean tokens per text and the share of unknown tokens.
      const unk = tok.model.unkToken === null ? undefined : tok.tokenToId(tok.model.unkToken);
      let tokens = 0;
      let unknown = 0;
      for (const t of corpus.texts) {
        const ids = tok.tokenizeToIds(t);
        tokens += ids.length;
        if (unk !== undefined) for (const id of ids) if (id === unk) unknown++;
      }
      Object.assign(
        info,
        { texts: corpus.texts.length, perTask: corpus.perTask, tokensPerText: tokens / corpus.texts.length, unknownRate: tokens ? unknown / tokens : 0 },
      );
      ctx.metric('tokenizer/texts', corpus.texts.length);
      ctx.metric('tokenizer/tokens_per_text', tokens / corpus.texts.length);
      ctx.metric('tokenizer/unknown_rate', tokens ? unknown / tokens : 0);
    }
    await writeFile(join(out, 'info.json'), JSON.stringify(info, null, 2) + '\n');
    ctx.progress(1, 1);
  },
});
