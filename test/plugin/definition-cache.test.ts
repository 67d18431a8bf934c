import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { PluginDefinition } from '../../src/plugin/api.js';
import { DefinitionCache, isPlainJson } from '../../src/plugin/definition-cache.js';
import { startEnvRecording } from '../../src/plugin/env-recording.js';

const dir = mkdtempSync(join(tmpdir(), 'retort-defcache-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const def = (over: Partial<PluginDefinition> = {}): PluginDefinition => ({
  id: 'p', version: '1', params: { type: 'object', properties: { n: { type: 'integer', default: 3 } } }, outputs: { out: {} },
  runtime: () => ({ backend: 'x' }), run: () => undefined, ...over,
});

describe('environment recording', () => {
  it('notes the names read while open, overlapping recordings included, and restores process.env', () => {
    const real = process.env;
    const outer = startEnvRecording();
    void process.env.RETORT_TEST_A;
    const inner = startEnvRecording();
    void ('RETORT_TEST_B' in process.env);
    const innerReads = inner.stop();
    void process.env.RETORT_TEST_C;
    const outerReads = outer.stop();
    expect(innerReads).toEqual(new Set(['RETORT_TEST_B']));
    expect(outerReads).toEqual(new Set(['RETORT_TEST_A', 'RETORT_TEST_B', 'RETORT_TEST_C']));
    expect(process.env).toBe(real);
  });

  it('says "all" when the environment was enumerated', () => {
    const r = startEnvRecording();
    void Object.keys(process.env);
    expect(r.stop()).toBe('all');
  });
});

describe('definition cache', () => {
  it('keeps plain JSON only', () => {
    expect(isPlainJson({ a: [1, 'x', null, { b: true }] })).toBe(true);
    for (const bad of [{ a: undefined }, { f: () => 1 }, { r: /x/ }, -0, NaN, { d: new Date(0) }]) expect(isPlainJson(bad)).toBe(false);
  });

  it('gives back what it remembered while the stamp and the variables read are unchanged, also after a save', () => {
    const file = join(dir, 'a.json');
    const cache = DefinitionCache.open(file);
    const env = { FLAG: 'on' };
    const recording = cache.watchEnv();
    void process.env.FLAG;
    cache.remember('/x/index.js', 'stamp-1', def(), recording, env);
    cache.save();
    const again = DefinitionCache.open(file);
    expect(again.lookup('/x/index.js', 'stamp-1', env)).toEqual({
      id: 'p', version: '1', params: def().params, outputs: { out: {} }, runtime: { backend: 'x' },
    });
    expect(again.lookup('/x/index.js', 'stamp-2', env)).toBeUndefined();
    expect(again.lookup('/x/index.js', 'stamp-1', { FLAG: 'off' })).toBeUndefined();
    expect(again.lookup('/x/index.js', 'stamp-1', {})).toBeUndefined();
  });

  it('does not remember a definition that would not survive JSON or whose runtime() throws', () => {
    const cache = DefinitionCache.open(join(dir, 'b.json'));
    cache.remember('/a.js', 's', def({ params: { type: 'object', pattern: /x/ as unknown as string } }), cache.watchEnv(), {});
    cache.remember('/b.js', 's', def({ runtime: () => { throw new Error('no backend'); } }), cache.watchEnv(), {});
    expect(cache.lookup('/a.js', 's', {})).toBeUndefined();
    expect(cache.lookup('/b.js', 's', {})).toBeUndefined();
  });

  it('reads a source file again once its stat changes', () => {
    const cache = DefinitionCache.open(join(dir, 'c.json'));
    const src = join(dir, 'mod.js');
    writeFileSync(src, "import './a.js';\n");
    const first = cache.readSource(src)!;
    expect(first.imports).toEqual([join(dir, 'a.js')]);
    writeFileSync(src, "import './b.js';  \n");
    const second = cache.readSource(src)!;
    expect(second.imports).toEqual([join(dir, 'b.js')]);
    expect(second.sha256).not.toBe(first.sha256);
    expect(cache.readSource(join(dir, 'missing.js'))).toBeUndefined();
  });
});
