// The `reasoning-import` stage: MATH or GSM8K problems from your files or from a Hugging Face
// dataset repository, each with its reference solution and its final answer (MATH: the last
// \boxed{} of the solution; GSM8K: the number after "####"), as a reasoning set.

import { isAbsolute, join } from 'node:path';
import { definePlugin, NodeFailure } from '../../src/plugin/api.js';
import { DataError } from '../../src/lib/data/errors.js';
import { readReasoningFile, readReasoningHf, writeReasoningSet, type ReasoningProblem } from '../../src/lib/reasoning/import.js';

const HF = 'hf://';

export default definePlugin({
  id: 'reasoning-import',
  version: '1.0.0',
  description: 'MATH (\\boxed{} answers) or GSM8K (#### answers) problems from JSONL/JSON/CSV/Parquet files or hf://datasets/…, as a reasoning set.',
  params: {
    type: 'object',
    additionalProperties: false,
    required: ['dataset', 'splits'],
    properties: {
      dataset: { enum: ['math', 'gsm8k'], description: 'math: rows {problem, solution}; gsm8k: rows {question, answer}.' },
      splits: {
        type: 'object', minProperties: 1, additionalProperties: { type: 'string' },
        description: 'Split name → a file relative to the source input, an absolute path, or hf://datasets/<owner>/<name>@<revision>/<path> (pin a commit for a stable key).',
      },
      format: { enum: ['jsonl', 'json', 'csv', 'tsv', 'parquet'], description: 'Local files: override the format implied by the extension.' },
      maxRows: { type: 'integer', minimum: 1, description: 'Read at most this many rows of each split.' },
    },
  },
  inputs: { source: { optional: true, description: 'A file or folder the relative split paths are read from (content-hashed into the key).' } },
  outputs: { data: { description: 'reasoning.json and <split>.jsonl with {id, split, question, solution, answer} rows.' } },
  async run(ctx) {
    const p = ctx.params;
    const source = ctx.inputs.source;
    const splits: Record<string, ReasoningProblem[]> = {};
    const named = Object.entries(p.splits);
    for (const [i, [split, where]] of named.entries()) {
      let rows: ReasoningProblem[];
      if (where.startsWith(HF)) {
        // Credentials and the cache location come from the environment and never enter the key.
        rows = await readReasoningHf(where, p.dataset, { split, maxRows: p.maxRows, env: process.env, signal: ctx.signal });
      } else {
        const file = isAbsolute(where) ? where : source !== undefined ? join(source, where) : undefined;
        if (file === undefined) throw new NodeFailure(`split "${split}": "${where}" is a relative path, so connect the "source" input (or give an absolute path)`);
        rows = await readReasoningFile(file, p.dataset, { split, maxRows: p.maxRows, fileFormat: p.format });
      }
      if (rows.length === 0) throw new DataError(where, 0, `split "${split}" has no rows`);
      splits[split] = rows;
      ctx.metric(`rows/${split}`, rows.length);
      ctx.log.info(`${split}: ${rows.length} ${p.dataset} problems from ${where}`);
      ctx.progress(i + 1, named.length);
    }
    await writeReasoningSet(ctx.output('data'), p.dataset, splits);
  },
});
