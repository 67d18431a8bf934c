// The `task-import` stage: builds a task folder from foreign data (JSONL/JSON, CSV/TSV, Parquet,
// or hf://datasets/… on the Hugging Face Hub) through a field mapping, so a recipe can evaluate
// any dataset. A task the registry knows (rte, sst2, …) keeps LLM-R's template, label words and
// scoring; its category, type and metric may then be left out.

import { isAbsolute, join } from 'node:path';
import type self from './index.js';
import { definePlugin, type PluginParams, NodeFailure } from '../../src/plugin/api.js';
import { DataError } from '../../src/lib/data/errors.js';
import { loadHfRows } from '../../src/lib/data/hf/index.js';
import { loadRows } from '../../src/lib/data/loaders.js';
import type { TaskMeta, TaskRow } from '../../src/lib/data/task.js';
import { writeTaskFolder } from '../../src/lib/data/task-folder.js';
import { indexEntry, writeTaskIndex } from '../../src/lib/data/task-index.js';
import { TASK_REGISTRY } from '../../src/lib/tasks/registry.js';

const HF = 'hf://';

/** The params run receives (defaults applied), read from the schema below. */
export type TaskImportParams = PluginParams<typeof self>;

export default definePlugin({
  id: 'task-import',
  version: '1.0.0',
  description: 'A task folder from JSONL, CSV/TSV, Parquet or hf://datasets/… files through a field mapping (registry templates apply to known task names).',
  params: {
    type: 'object',
    additionalProperties: false,
    required: ['name', 'splits', 'mapping'],
    properties: {
      name: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]*$', description: 'Task name; a registry name (rte, sst2, …) brings LLM-R\'s template and scoring.' },
      category: { enum: ['close_qa', 'commonsense', 'coreference', 'nli', 'paraphrase', 'reading_comprehension', 'sentiment', 'data_to_text', 'summarize'], description: 'Default: the registry\'s.' },
      type: { enum: ['multiple_choice', 'classification', 'generation'], description: 'Default: the registry\'s.' },
      metric: { enum: ['accuracy', 'exact_match', 'f1', 'rouge_l', 'token_f1', 'bleu'], description: 'Default: the registry\'s.' },
      labels: { type: 'array', items: { type: 'string' }, description: 'Dataset labels of a classification task, in label-index order.' },
      splits: {
        type: 'object', minProperties: 1, additionalProperties: { type: 'string' },
        description: 'Split name → a file relative to the source input, an absolute path, or hf://datasets/<owner>/<name>@<revision>/<path> (pin a commit for a stable key).',
      },
      format: { enum: ['jsonl', 'json', 'csv', 'tsv', 'parquet'], description: 'Default: from the file extension.' },
      delimiter: { type: 'string', minLength: 1, maxLength: 1, description: 'CSV delimiter (default "," or tab for .tsv).' },
      mapping: {
        type: 'object', additionalProperties: false, required: ['fields', 'output'],
        description: 'How source records become rows (src/lib/data/mapping.ts).',
        properties: {
          fields: { type: 'object', additionalProperties: { type: 'string' }, description: 'Task field → source key (dotted paths reach into nested records).' },
          output: { type: 'string', description: 'Source key of the gold answer.' },
          options: { oneOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }], description: 'Source key of the choices (an array), or one key per choice.' },
          outputIsIndex: { type: 'boolean', description: 'The output is a 0-based index into the options (a label column).' },
          labelNames: { oneOf: [{ type: 'array', items: { type: 'string' } }, { type: 'object', additionalProperties: { type: 'string' } }], description: 'Names of raw output values (index or value → label).' },
          references: { type: 'string', description: 'Source key of all gold texts (generation).' },
          id: { type: 'string', description: 'Source key of a row id (default <task>-<split>-<n>).' },
        },
      },
      maxRows: { type: 'integer', minimum: 1, description: 'Read at most this many rows of each split.' },
      notes: { type: 'string', description: 'Stored in task.json.' },
    },
  },
  inputs: {
    source: { optional: true, description: 'A file or folder the relative split paths are read from (content-hashed into the key).' },
  },
  outputs: {
    tasks: { description: 'A directory with the task folder <name>/ and index.json (the tasks plugin\'s layout).' },
  },
  async run(ctx) {
    const p = ctx.params;
    const known = TASK_REGISTRY[p.name];
    // A param left out falls back to the registry's; with neither, the task cannot be described.
    const needed = (k: string): never => {
      throw new NodeFailure(`"${k}" is needed: "${p.name}" is not a task the registry knows`);
    };
    const type = p.type ?? known?.type ?? needed('type');
    const meta: TaskMeta = {
      name: p.name, category: p.category ?? known?.category ?? needed('category'), type, metric: p.metric ?? known?.metric ?? needed('metric'),
      fields: Object.keys(p.mapping.fields),
      labels: type === 'classification' ? p.labels ?? Object.keys(known?.verbalizer ?? {}) : [],
      splits: {}, ...(p.notes ? { notes: p.notes } : {}),
    };
    if (type === 'classification' && meta.labels.length < 2) throw new NodeFailure('a classification task needs "labels" (its dataset labels in index order)');
    const missing = (known?.fields ?? []).filter((f) => !meta.fields.includes(f));
    if (known && missing.length > 0) ctx.log.warn(`the registry's template for ${p.name} reads ${missing.join(', ')}: without them a generic template is used`);
    const source = ctx.inputs.source;
    const splits: Record<string, TaskRow[]> = {};
    const named = Object.entries(p.splits);
    for (const [i, [split, where]] of named.entries()) {
      const opts = { split, maxRows: p.maxRows, delimiter: p.delimiter };
      let rows: TaskRow[];
      if (where.startsWith(HF)) {
        // Credentials and the cache location come from the environment and never enter the key.
        rows = await loadHfRows(where, p.mapping, meta, { ...opts, env: process.env, signal: ctx.signal });
      } else {
        const file = isAbsolute(where) ? where : source !== undefined ? join(source, where) : undefined;
        if (file === undefined) throw new NodeFailure(`split "${split}": "${where}" is a relative path, so connect the "source" input (or give an absolute path)`);
        rows = await loadRows(file, p.mapping, meta, { ...opts, format: p.format });
      }
      if (rows.length === 0) throw new DataError(where, 0, `split "${split}" has no rows`);
      splits[split] = rows;
      ctx.log.info(`${split}: ${rows.length} rows from ${where}`);
      ctx.progress(i + 1, named.length);
    }
    const out = ctx.output('tasks');
    await writeTaskFolder(join(out, p.name), meta, splits);
    const counts = Object.fromEntries(Object.entries(splits).map(([s, r]) => [s, r.length]));
    await writeTaskIndex(out, [indexEntry({ ...meta, splits: counts })]);
    for (const [s, n] of Object.entries(counts)) ctx.metric(`rows/${s}`, n);
  },
});
