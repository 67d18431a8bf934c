// The C GELU loops of the optional addon (native/retort_blas.c) give the JavaScript loops'
// results bit for bit (or within one float32 step where exp rounds differently), so GELU's
// numerics do not depend on whether the addon was built.
import { describe, expect, it } from 'vitest';
import { loadBlasAddon } from '../../src/lib/nn/kernels/native-addon.js';
import { geluGradValues, geluValues } from '../../src/lib/nn/kernels/ops.js';
import { at } from '../util/at.js';

function inputs(n: number): Float32Array {
  let s = 12345;
  const rand = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  const special = [0, -0, 1e-30, -1e-30, 0.5, -0.5, 3, -3, 8, -8, 40, -40, 1e6, -1e6];
  return Float32Array.from({ length: n }, (_, i) => special[i] ?? (rand() - 0.5) * 20);
}

/** Largest distance in float32 steps (ulps) between two arrays. */
function maxUlps(a: Float32Array, b: Float32Array): number {
  const ia = new Int32Array(a.buffer), ib = new Int32Array(b.buffer);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(at(ia, i) - at(ib, i)));
  return worst;
}

describe('native GELU', () => {
  const loaded = loadBlasAddon();
  it('is in the addon built on this machine', () => {
    expect(loaded.ok && typeof loaded.addon.gelu === 'function' && typeof loaded.addon.geluGrad === 'function').toBe(true);
  });

  it('equals the JavaScript loops, forward and gradient', () => {
    const addon = loaded.ok ? loaded.addon : undefined;
    const x = inputs(100_000);
    const dy = inputs(100_000).map((v) => v / 7);
    const array = () => new Float32Array(x.length);
    const [yC, yJs, dC, dJs] = [array(), array(), array(), array()];
    addon!.gelu!(x, yC);
    geluValues(x, yJs);
    addon!.geluGrad!(dy, x, dC);
    geluGradValues(dy, x, dJs);
    expect(maxUlps(yC, yJs)).toBeLessThanOrEqual(1);
    expect(maxUlps(dC, dJs)).toBeLessThanOrEqual(1);
  });

  it('refuses arrays of different lengths instead of reading past one', () => {
    const addon = loaded.ok ? loaded.addon : undefined;
    expect(() => addon!.geluGrad!(new Float32Array(4), new Float32Array(4), new Float32Array(3))).toThrow(/one length/);
  });
});
