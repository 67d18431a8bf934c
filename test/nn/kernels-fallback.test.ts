// Without the native addon everything still works: the blas backend reports why it is absent,
// and the install-time build never fails (it prints one line and exits 0).
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';

const buildScript = join(import.meta.dirname, '../../src/lib/nn/kernels/native/build.mjs');
const saved = { ...process.env };

afterEach(() => {
  process.env = { ...saved };
  vi.resetModules();
});

async function freshBlasBackend() {
  vi.resetModules();
  return import('../../src/lib/nn/kernels/blas-backend.js');
}

describe('blas backend without the addon', () => {
  it('is reported absent when disabled, and tfjs does not list it', async () => {
    process.env.RETORT_NO_BLAS = '1';
    const { registerBlasBackend } = await freshBlasBackend();
    expect(registerBlasBackend()).toEqual({ ok: false, reason: 'disabled by RETORT_NO_BLAS=1' });
    const tf = await import('@tensorflow/tfjs');
    expect(tf.findBackend('blas')).toBeNull();
  });

  it('says the addon is not built when the file is missing', async () => {
    process.env.RETORT_BLAS_ADDON = join(tmpdir(), 'no-such-dir', 'retort_blas.node');
    const { registerBlasBackend } = await freshBlasBackend();
    const r = registerBlasBackend();
    expect(r.ok).toBe(false);
    expect(r.ok === false && r.reason).toMatch(/not built/);
  });

  it('says the addon failed to load when the file is not a valid addon', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'retort-blas-'));
    const bogus = join(dir, 'retort_blas.node');
    writeFileSync(bogus, 'not a shared object');
    process.env.RETORT_BLAS_ADDON = bogus;
    const { registerBlasBackend } = await freshBlasBackend();
    const r = registerBlasBackend();
    rmSync(dir, { recursive: true, force: true });
    expect(r.ok).toBe(false);
    expect(r.ok === false && r.reason).toMatch(/failed to load/);
  });

  it('still gives the fused ops on cpu (they do not depend on the addon)', async () => {
    process.env.RETORT_NO_BLAS = '1';
    vi.resetModules();
    const tf = await import('@tensorflow/tfjs');
    const { gelu } = await import('../../src/lib/nn/kernels/ops.js');
    await tf.setBackend('cpu');
    const y = gelu(tf.tensor1d([-1, 0, 1]));
    expect(Array.from(y.dataSync()).map((v) => Number(v.toFixed(4)))).toEqual([-0.1587, 0, 0.8413]);
  });

  it('sums columns and steps AdamW in JavaScript when the addon is absent', async () => {
    process.env.RETORT_NO_BLAS = '1';
    vi.resetModules();
    const tf = await import('@tensorflow/tfjs');
    const { adamwUpdate, columnSums } = await import('../../src/lib/nn/kernels/ops.js');
    await tf.setBackend('cpu');
    expect(Array.from(columnSums(tf.tensor2d([[1, 2], [3, 4], [5, 6]])).dataSync())).toEqual([9, 12]);
    // First step from zero moments: m = 0.1 g, v = 0.001 g², p − lr·sign(g) (up to eps).
    const r = adamwUpdate(tf.tensor1d([1, 1]), tf.tensor1d([0.5, -2]), tf.zeros([2]), tf.zeros([2]),
      { beta1: 0.9, beta2: 0.999, eps: 1e-8, decay: 1, stepSize: 0.1 / 0.1, bc2Sqrt: Math.sqrt(0.001) });
    expect(Array.from(r.param.dataSync()).map((v) => Number(v.toFixed(5)))).toEqual([0.9, 1.1]);
    expect(Array.from(r.m.dataSync()).map((v) => Number(v.toFixed(5)))).toEqual([0.05, -0.2]);
  });
});

describe('wasm matmuls without the addon', () => {
  it('stay the wasm kernels, and the node key says nothing about OpenBLAS', async () => {
    process.env.RETORT_NO_BLAS = '1';
    delete process.env.RETORT_TF_BACKEND;
    vi.resetModules();
    const { registerWasmBlasMatMul } = await import('../../src/lib/nn/kernels/wasm-blas-matmul.js');
    const { backendRuntime } = await import('../../src/lib/nn/backend.js');
    expect(registerWasmBlasMatMul()).toEqual({ ok: false, reason: 'disabled by RETORT_NO_BLAS=1' });
    expect(backendRuntime()).toEqual({ tfjs: expect.any(String), tfBackend: 'wasm' });
  });

  it('with the addon, go through OpenBLAS, and the node key records it (results differ in the last bits)', async () => {
    delete process.env.RETORT_NO_BLAS;
    delete process.env.RETORT_TF_BACKEND;
    vi.resetModules();
    const { backendRuntime } = await import('../../src/lib/nn/backend.js');
    expect(backendRuntime()).toEqual({ tfjs: expect.any(String), tfBackend: 'wasm', tfMatmul: 'openblas' });
  });
});

describe('install-time build', () => {
  const run = (env: Record<string, string>) =>
    spawnSync(process.execPath, [buildScript], { encoding: 'utf8', env: { ...process.env, ...env } });

  it('skips with one line and exit code 0 when there is no compiler', () => {
    const r = run({ CC: join(tmpdir(), 'no-such-compiler') });
    expect(r.status).toBe(0);
    expect(r.stdout.trim().split('\n')).toHaveLength(1);
    expect(r.stdout).toMatch(/not built \(no C compiler/);
  });

  it('skips with one line naming libopenblas-dev when CBLAS is missing', () => {
    const dir = mkdtempSync(join(tmpdir(), 'retort-cc-'));
    const fakeCc = join(dir, 'cc');
    // A compiler that answers --version but has no cblas.h, as on a machine without libopenblas-dev.
    writeFileSync(fakeCc, '#!/bin/sh\n[ "$1" = --version ] && exit 0\necho "retort_blas.c:12:10: fatal error: cblas.h: No such file or directory" >&2\nexit 1\n');
    chmodSync(fakeCc, 0o755);
    const r = run({ CC: fakeCc });
    rmSync(dir, { recursive: true, force: true });
    expect(r.status).toBe(0);
    expect(r.stdout.trim().split('\n')).toHaveLength(1);
    expect(r.stdout).toMatch(/libopenblas-dev/);
  });

  it('skips when asked to', () => {
    const r = run({ RETORT_NO_NATIVE: '1' });
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/RETORT_NO_NATIVE=1/);
  });
});
