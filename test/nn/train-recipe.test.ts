// The shared training settings: AdamW with weight decay, warmup then linear decay (warmup never
// longer than the run), clipping, and curves under a prefix.
import { describe, expect, it } from 'vitest';
import { warmupDecayTraining } from '../../src/lib/nn/train/index.js';
import { at } from '../util/at.js';

describe('warmupDecayTraining', () => {
  const s = { steps: 10, seed: 3, lr: 1e-3, warmupSteps: 20, weightDecay: 0.01, clipNorm: 1, logEvery: 5 };

  it('maps the settings onto train() options, warmup capped at the number of steps', () => {
    const o = warmupDecayTraining(s, {});
    expect(o).toMatchObject({ steps: 10, seed: 3, optimizer: { lr: 1e-3, weightDecay: 0.01 }, clipNorm: 1, logEvery: 5, checkpoint: undefined });
    const lrs = Array.from({ length: 10 }, (_, i) => o.schedule!(i));
    expect(Math.max(...lrs)).toBeLessThanOrEqual(1e-3);
    expect(lrs[9]).toBeGreaterThan(at(lrs, 0)); // all ten steps are warmup when warmupSteps > steps
  });

  it('puts curves under the prefix and keeps the context otherwise', () => {
    const seen: [string, number, number | undefined][] = [];
    const signal = new AbortController().signal;
    const o = warmupDecayTraining(s, { metric: (name, value, step) => seen.push([name, value, step]), signal }, 'dense/');
    o.ctx!.metric!('loss', 0.5, 2);
    expect(seen).toEqual([['dense/loss', 0.5, 2]]);
    expect(o.ctx!.signal).toBe(signal);
  });
});
