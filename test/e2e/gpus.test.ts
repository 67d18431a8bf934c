// resources.gpus in the local executor: each node gets its own devices in CUDA_VISIBLE_DEVICES,
// waits while they are taken, and a request beyond what the run has fails the plan.
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Project } from './harness.js';

interface Ran { start: number; end: number; devices: string }

function runs(p: Project): Map<string, Ran> {
  const lines = readFileSync(p.counter, 'utf8').split('\n').filter(Boolean);
  return new Map(lines.map((l) => {
    const [id, start, end, devices] = l.split(' ');
    return [id!, { start: Number(start), end: Number(end), devices: devices! }];
  }));
}

const overlap = (a: Ran, b: Ran) => a.start < b.end && b.start < a.end;
/** This machine's own CUDA_VISIBLE_DEVICES must not leak into the tests (spawn drops undefined values). */
const UNSET = { CUDA_VISIBLE_DEVICES: undefined as unknown as string };

describe('GPUs (end to end)', () => {
  it('--gpus 2: one-GPU nodes get distinct devices, a two-GPU node waits for both, a CPU node sees none', async () => {
    const p = new Project();
    p.write('r.yaml', `
stages:
  a: { plugin: ./plugins/gpu-probe, params: { label: a, holdMs: 800 }, resources: { gpus: 1 } }
  b: { plugin: ./plugins/gpu-probe, params: { label: b, holdMs: 800 }, resources: { gpus: 1 } }
  both: { plugin: ./plugins/gpu-probe, params: { label: both }, resources: { gpus: 2 } }
  cpu: { plugin: ./plugins/gpu-probe, params: { label: cpu } }
`);
    const res = await p.run(['run', 'r.yaml', '--no-track', '--plain', '-j', '4', '--gpus', '2'], UNSET);
    expect(res.code, res.stdout + res.stderr).toBe(0);
    const r = runs(p);
    // Distinct ids: they held devices at the same time (one after the other, both would get device 0).
    expect([r.get('a')!.devices, r.get('b')!.devices].sort()).toEqual(['0', '1']);
    expect(r.get('both')!.devices).toBe('0,1');
    expect(overlap(r.get('both')!, r.get('a')!) || overlap(r.get('both')!, r.get('b')!)).toBe(false);
    expect(r.get('cpu')!.devices).toBe('none');
  }, 60_000);

  it('the default comes from CUDA_VISIBLE_DEVICES; without GPUs the environment is left alone', async () => {
    const p = new Project();
    p.write('r.yaml', `
stages:
  pair: { plugin: ./plugins/gpu-probe, params: { holdMs: 0 }, resources: { gpus: 2 } }
`);
    const res = await p.run(['run', 'r.yaml', '--no-track', '--plain'], { CUDA_VISIBLE_DEVICES: '5,7' });
    expect(res.code, res.stdout + res.stderr).toBe(0);
    expect(runs(p).get('pair')!.devices).toBe('5,7');

    const q = new Project();
    q.write('r.yaml', `
stages:
  plain: { plugin: ./plugins/gpu-probe, params: { holdMs: 0 } }
`);
    const plain = await q.run(['run', 'r.yaml', '--no-track', '--plain'], UNSET);
    expect(plain.code, plain.stdout + plain.stderr).toBe(0);
    expect(runs(q).get('plain')!.devices).toBe('unset');
  }, 60_000);

  it('a node asking for more GPUs than the run has fails the plan; nothing runs', async () => {
    const p = new Project();
    p.write('r.yaml', `
stages:
  fine: { plugin: ./plugins/gpu-probe, params: { holdMs: 0 } }
  big: { plugin: ./plugins/gpu-probe, params: { holdMs: 0 }, resources: { gpus: 3 } }
`);
    const res = await p.run(['run', 'r.yaml', '--no-track', '--plain', '--gpus', '2'], UNSET);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('not enough GPUs: big asks for 3 (resources.gpus), but this run has 2 (--gpus, or CUDA_VISIBLE_DEVICES)');
    expect(existsSync(p.counter)).toBe(false);
    const none = await p.run(['run', 'r.yaml', '--no-track', '--plain'], { CUDA_VISIBLE_DEVICES: '' });
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('but this run has 0 (give --gpus N or set CUDA_VISIBLE_DEVICES)');
    const tooMany = await p.run(['run', 'r.yaml', '--no-track', '--plain', '--gpus', '4'], { CUDA_VISIBLE_DEVICES: '0,1' });
    expect(tooMany.code).toBe(2);
    expect(tooMany.stderr).toContain('--gpus 4, but CUDA_VISIBLE_DEVICES="0,1" makes only 2 visible');
    expect(existsSync(p.counter)).toBe(false);
  }, 60_000);
});
