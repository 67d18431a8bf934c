// Generates a seeded sample of numbers (JSON Lines), for examples and tests of recipes.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { definePlugin } from '../../src/plugin/api.js';

/** mulberry32: a small, fast, seedable generator (uniform in [0, 1)). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export default definePlugin({
  id: 'numbers',
  version: '1.0.0',
  description: 'a seeded sample of numbers as JSON Lines ({"i": …, "x": …})',
  params: {
    type: 'object',
    additionalProperties: false,
    properties: {
      count: { type: 'integer', minimum: 1, maximum: 100000000, default: 1000, description: 'how many numbers' },
      distribution: { enum: ['normal', 'uniform'], default: 'normal' },
      mean: { type: 'number', default: 0, description: 'normal: mean' },
      std: { type: 'number', minimum: 0, default: 1, description: 'normal: standard deviation' },
      low: { type: 'number', default: 0, description: 'uniform: lower bound' },
      high: { type: 'number', default: 1, description: 'uniform: upper bound' },
      seed: { type: 'integer', default: 0 },
    },
  },
  outputs: { data: { description: 'data.jsonl' } },
  async run(ctx) {
    const p = ctx.params;
    const rand = mulberry32(p.seed);
    const lines: string[] = [];
    for (let i = 0; i < p.count; i++) {
      let x: number;
      if (p.distribution === 'uniform') x = p.low + (p.high - p.low) * rand();
      else {
        // Box–Muller; 1 - u keeps the logarithm finite.
        const u = 1 - rand();
        const v = rand();
        x = p.mean + p.std * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
      }
      lines.push(JSON.stringify({ i, x }));
      if (i % 100000 === 0) ctx.progress(i, p.count);
    }
    await writeFile(join(ctx.output('data'), 'data.jsonl'), lines.join('\n') + '\n');
    ctx.progress(p.count, p.count);
    ctx.log.info(`wrote ${p.count} ${p.distribution} numbers`);
  },
});
