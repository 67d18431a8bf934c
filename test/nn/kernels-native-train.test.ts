// The training-step loops of the optional addon (native/retort_blas.c): sgemm with the bias
// accumulated onto C, column sums (a bias's gradient), layer norm with its gradient and the
// AdamW step. Each is held to the plain computation it replaces; layer norm and AdamW to the
// JavaScript kernels bit for bit, so a model's weights do not depend on whether the addon was built.
import { describe, expect, it } from 'vitest';
import { loadBlasAddon } from '../../src/lib/nn/kernels/native-addon.js';
import { adamwValues, layerNormGradValues, layerNormValues, type AdamWHyper } from '../../src/lib/nn/kernels/ops.js';
import { at } from '../util/at.js';

function seeded(n: number, seed: number, scale = 1): Float32Array {
  let s = seed >>> 0;
  const rand = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  return Float32Array.from({ length: n }, () => (rand() - 0.5) * 2 * scale);
}

/** op(A)[i, p] for a row-major A stored as rows × cols before the optional transpose. */
function naiveGemm(a: Float32Array, b: Float32Array, m: number, n: number, k: number, ta: boolean, tb: boolean): Float64Array {
  const c = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let sum = 0;
      for (let p = 0; p < k; p++) sum += at(a, ta ? p * m + i : i * k + p) * at(b, tb ? j * k + p : p * n + j);
      c[i * n + j] = sum;
    }
  }
  return c;
}

const loaded = loadBlasAddon();
const addon = loaded.ok ? loaded.addon : undefined;

describe('native training loops', () => {
  it('are in the addon built on this machine', () => {
    expect(typeof addon?.gemmBatchBias).toBe('function');
    expect(typeof addon?.columnSums).toBe('function');
    expect(typeof addon?.adamw).toBe('function');
    expect(typeof addon?.layerNorm).toBe('function');
    expect(typeof addon?.layerNormGrad).toBe('function');
  });

  const bytes = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
  const sameBits = (a: Float32Array, b: Float32Array) => bytes(a).equals(bytes(b));

  it.each([[128, 1e-12], [7, 1e-5]])('layer norm over rows of %i (eps %s) gives the JavaScript loops bit for bit, forward and gradient', (d, eps) => {
    const rows = 33;
    const x = seeded(rows * d, 11, 4).map((v, i) => v + (i % d === 0 ? 50 : 0)); // a large mean on one column
    const g = seeded(d, 12), b = seeded(d, 13), dy = seeded(rows * d, 14);
    const [yC, yJs] = [new Float32Array(rows * d), new Float32Array(rows * d)];
    addon!.layerNorm!(x, g, b, yC, d, eps);
    layerNormValues(x, g, b, yJs, d, eps);
    expect(sameBits(yC, yJs)).toBe(true);
    // dgamma and dbeta accumulate onto what they hold (the kernel hands them zeroed).
    const grads = (): [Float32Array, Float32Array, Float32Array] => [new Float32Array(rows * d), seeded(d, 15), seeded(d, 16)];
    const [c, js] = [grads(), grads()];
    addon!.layerNormGrad!(dy, x, g, c[0], c[1], c[2], d, eps);
    layerNormGradValues(dy, x, g, js[0], js[1], js[2], d, eps);
    c.forEach((arr, i) => expect(sameBits(arr, at(js, i))).toBe(true));
  });

  it('layer norm refuses arrays that are not rows × d and d long', () => {
    const f = (k: number) => new Float32Array(k);
    expect(() => addon!.layerNorm!(f(12), f(4), f(3), f(12), 4, 1e-5)).toThrow(/rows × d/);
    expect(() => addon!.layerNormGrad!(f(12), f(12), f(4), f(8), f(4), f(4), 4, 1e-5)).toThrow(/rows × d/);
  });

  const layouts: [boolean, boolean][] = [[false, false], [false, true], [true, false], [true, true]];
  it.each(layouts)('gemmBatchBias with transposeA %s, transposeB %s equals op(A) op(B) + bias on every row, per matrix of a batch', (ta, tb) => {
    const [batch, m, n, k] = [3, 7, 5, 9];
    const a = seeded(batch * m * k, 1), b = seeded(batch * k * n, 2), bias = seeded(n, 3, 10);
    const c = new Float32Array(batch * m * n).fill(Number.NaN); // whatever C held before is overwritten
    addon!.gemmBatchBias!(a, b, c, bias, batch, m * k, k * n, m, n, k, ta, tb);
    let worst = 0;
    for (let i = 0; i < batch; i++) {
      const want = naiveGemm(a.subarray(i * m * k), b.subarray(i * k * n), m, n, k, ta, tb);
      want.forEach((w, e) => { worst = Math.max(worst, Math.abs(at(c, i * m * n + e) - (w + at(bias, e % n)))); });
    }
    expect(worst).toBeLessThan(1e-5);
  });

  it('gemmBatchBias refuses a bias that is not one value per column', () => {
    const a = new Float32Array(6), b = new Float32Array(6), c = new Float32Array(4);
    expect(() => addon!.gemmBatchBias!(a, b, c, new Float32Array(3), 1, 0, 0, 2, 2, 3, false, false)).toThrow(/one value per column/);
    expect(() => addon!.gemmBatchBias!(a, b, new Float32Array(3), new Float32Array(2), 1, 0, 0, 2, 2, 3, false, false)).toThrow(/exceed/);
  });

  it('columnSums adds each column of a rows × n array onto out', () => {
    const [rows, n] = [37, 11];
    const x = seeded(rows * n, 4);
    const out = Float32Array.from({ length: n }, (_, j) => j); // accumulates onto what is there
    addon!.columnSums!(x, out, n);
    for (let j = 0; j < n; j++) {
      let want = j;
      for (let i = 0; i < rows; i++) want += at(x, i * n + j);
      expect(Math.abs(at(out, j) - want)).toBeLessThan(1e-5);
    }
    expect(() => addon!.columnSums!(new Float32Array(10), new Float32Array(3), 3)).toThrow(/rows × n/);
  });

  it('adamw gives the JavaScript step bit for bit, with and without weight decay', () => {
    const n = 50_000;
    const p = seeded(n, 5), g = seeded(n, 6, 1e-2), m = seeded(n, 7, 1e-3);
    const v = seeded(n, 8, 1e-4).map(Math.abs);
    g[0] = 0; v[0] = 0; // the zero-gradient, zero-moment corner (eps keeps it finite)
    for (const decay of [1, 1 - 1e-4 * 0.01]) {
      const h: AdamWHyper = { beta1: 0.9, beta2: 0.999, eps: 1e-8, decay, stepSize: 1e-4 / (1 - 0.9 ** 3), bc2Sqrt: Math.sqrt(1 - 0.999 ** 3) };
      const three = (): [Float32Array, Float32Array, Float32Array] => [new Float32Array(n), new Float32Array(n), new Float32Array(n)];
      const [js, c] = [three(), three()];
      adamwValues(p, g, m, v, js[0], js[1], js[2], h);
      addon!.adamw!(p, g, m, v, c[0], c[1], c[2], h.beta1, h.beta2, h.eps, h.decay, h.stepSize, h.bc2Sqrt);
      for (let o = 0; o < 3; o++) expect(Buffer.from(at(c, o).buffer).equals(Buffer.from(at(js, o).buffer))).toBe(true);
      expect(js[0].some((x, i) => x !== p[i])).toBe(true); // the step moved the parameters
    }
  });

  it('adamw refuses arrays of different lengths', () => {
    const f = (k: number) => new Float32Array(k);
    expect(() => addon!.adamw!(f(4), f(4), f(4), f(3), f(4), f(4), f(4), 0.9, 0.999, 1e-8, 1, 1e-3, 1)).toThrow(/one length/);
  });
});
