// A training node whose `retort run` is killed (SIGKILL) resumes from the checkpoint in its scratch
// directory on the next run, ends with the same weights as a run never interrupted, and its scratch
// is gone once the entry is published. Runs the compiled CLI: build first (npx tsc -p tsconfig.json).
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { Store } from '../../src/store/store.js';
import { collect, Project, ROOT } from './harness.js';
import { at } from '../util/at.js';

const RECIPE = `
stages:
  train:
    plugin: ./plugins/tiny-train
    params: { steps: 30, every: 5 }
`;

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function trainedEntry(p: Project) {
  const store = await Store.open(join(p.dir, 'runs', 'store'));
  const manifest = at(await store.manifests({ stage: 'train' }), 0);
  const model = store.portPath(manifest.key, 'model');
  return {
    store, key: manifest.key,
    weights: readFileSync(join(model, 'model.safetensors')),
    resumedFrom: JSON.parse(readFileSync(join(model, 'result.json'), 'utf8')).resumedFrom as number,
    log: readFileSync(store.logPath(manifest.key), 'utf8'),
  };
}

describe('resuming a killed training node (end to end)', () => {
  it('SIGKILL of retort run mid-training: the re-run resumes from the checkpoint, ends with identical weights, and drops the scratch', async () => {
    const env = { RETORT_TEST_REPO: ROOT };
    const reference = new Project();
    reference.write('r.yaml', RECIPE);
    const plain = await reference.run(['run', 'r.yaml', '--no-track', '--plain'], env);
    expect(plain.code, plain.stdout + plain.stderr).toBe(0);
    const uninterrupted = await trainedEntry(reference);
    expect(uninterrupted.resumedFrom).toBe(0);

    const p = new Project();
    p.write('r.yaml', RECIPE);
    const markers = join(p.dir, 'markers');
    mkdirSync(markers);
    const child = p.start(['run', 'r.yaml', '--no-track', '--plain'], { ...env, RETORT_TEST_PAUSE_AT: '12', RETORT_TEST_MARKERS: markers });
    const ended = collect(child);
    // The node holds after step 12, with checkpoints of steps 5 and 10 written.
    await vi.waitFor(() => expect(existsSync(join(markers, 'paused'))).toBe(true), { timeout: 45_000, interval: 50 });
    const paused = JSON.parse(readFileSync(join(markers, 'paused'), 'utf8')) as { pid: number; scratch: string };
    expect(readdirSync(join(paused.scratch, 'checkpoints'))).toEqual(['ckpt-000000005', 'ckpt-000000010']);
    child.kill('SIGKILL');
    expect((await ended).signal).toBe('SIGKILL');
    // The node's own process notices its parent is gone and ends; only then may another run use the scratch.
    await vi.waitFor(() => expect(isAlive(paused.pid)).toBe(false), { timeout: 15_000, interval: 50 });
    expect(existsSync(join(paused.scratch, 'checkpoints', 'ckpt-000000010'))).toBe(true);

    const again = await p.run(['run', 'r.yaml', '--no-track', '--plain'], env);
    expect(again.code, again.stdout + again.stderr).toBe(0);
    const resumed = await trainedEntry(p);
    expect(resumed.resumedFrom).toBe(10);
    expect(resumed.log).toMatch(/resuming from the checkpoint at step 10 of 30/);
    expect(resumed.weights.equals(uninterrupted.weights)).toBe(true);
    expect(resumed.store.scratchDir(resumed.key)).toBe(paused.scratch);
    expect(existsSync(paused.scratch)).toBe(false);
    expect(await resumed.store.scratchKeys()).toEqual([]);
  }, 120_000);
});
