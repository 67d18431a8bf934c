// Summary statistics of a numeric field of JSON Lines data, recorded as metrics.
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { definePlugin, NodeFailure } from '../../src/plugin/api.js';

async function jsonlFiles(path: string): Promise<string[]> {
  if (!(await stat(path)).isDirectory()) return [path];
  const names = (await readdir(path)).filter((n) => n.endsWith('.jsonl')).sort();
  return names.map((n) => join(path, n));
}

export function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo); // 0 ≤ lo ≤ hi < length for q in [0, 1]
}

export default definePlugin({
  id: 'stats',
  version: '1.0.0',
  description: 'count, mean, std, min, max and quantiles of a numeric field of JSON Lines data',
  params: {
    type: 'object',
    additionalProperties: false,
    properties: {
      field: { type: 'string', default: 'x', description: 'the numeric field to summarise' },
      quantiles: { type: 'array', items: { type: 'number', minimum: 0, maximum: 1 }, default: [0.5] },
    },
  },
  inputs: { data: { description: 'a .jsonl file or a folder of them' } },
  outputs: { summary: { description: 'summary.json' } },
  async run(ctx) {
    const values: number[] = [];
    for (const file of await jsonlFiles(ctx.inputs.data)) {
      const text = await readFile(file, 'utf8');
      let lineNo = 0;
      for (const line of text.split('\n')) {
        lineNo++;
        if (!line.trim()) continue;
        const v = (JSON.parse(line) as Record<string, unknown>)[ctx.params.field];
        if (typeof v !== 'number') throw new NodeFailure(`${file}:${lineNo}: field '${ctx.params.field}' is not a number`);
        values.push(v);
      }
    }
    if (values.length === 0) throw new NodeFailure('no values to summarise');
    const n = values.length;
    const mean = values.reduce((s, v) => s + v, 0) / n;
    const std = n > 1 ? Math.sqrt(values.reduce((s, v) => s + (v - mean) ** 2, 0) / (n - 1)) : 0;
    const sorted = [...values].sort((a, b) => a - b);
    const summary: Record<string, number> = { count: n, mean, std, min: sorted[0]!, max: sorted[n - 1]! }; // values is not empty (checked above)
    for (const q of ctx.params.quantiles) summary[`q${Math.round(q * 100)}`] = quantile(sorted, q);
    for (const [k, v] of Object.entries(summary)) ctx.metric(k, v);
    await writeFile(join(ctx.output('summary'), 'summary.json'), JSON.stringify(summary, null, 2) + '\n');
    ctx.log.info(`n=${n} mean=${mean.toFixed(4)} std=${std.toFixed(4)}`);
  },
});
