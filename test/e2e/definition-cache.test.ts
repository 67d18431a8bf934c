// A run whose nodes are cached does not import their plugins' code: what compiling and keying need
// of a module plugin comes from runs/plugin-cache.json while its code, packages and environment are
// unchanged. Observed through a side channel the plugin writes when it is imported.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Project, ROOT } from './harness.js';

const PLUGIN = (version: string) => `import { appendFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
// Who imported this module: the engine (compiling, keying) or a node runner (running it).
appendFileSync(process.env.IMPORT_LOG, (process.send ? 'runner' : 'engine') + '\\n');
const fallback = process.env.LAZY_DEFAULT ?? 'a';
export default {
  id: 'lazy', version: '${version}',
  params: { type: 'object', additionalProperties: false, properties: { letter: { type: 'string', default: fallback } } },
  outputs: { out: {} },
  runtime: () => ({ flavour: process.env.LAZY_FLAVOUR ?? 'plain' }),
  run(ctx) { writeFileSync(join(ctx.output('out'), 'v.txt'), ctx.params.letter); },
};
`;

describe('plugin definitions cached between runs', () => {
  it('a cached run imports no plugin code; an edit, a changed variable the module read or a changed runtime fact loads it again', async () => {
    const p = new Project();
    const log = join(p.dir, 'imports.log');
    writeFileSync(log, '');
    const imports = () => readFileSync(log, 'utf8').split('\n').filter(Boolean);
    const env = { IMPORT_LOG: log };
    p.write('lazy/index.mjs', PLUGIN('1'));
    p.write('r.yaml', 'stages:\n  s:\n    plugin: ./lazy\n');

    const first = await p.run(['run', 'r.yaml', '--no-track', '--plain'], env);
    expect(first.code, first.stderr).toBe(0);
    expect(imports()).toEqual(['engine', 'runner']);

    const cached = await p.run(['run', 'r.yaml', '--no-track', '--plain'], env);
    expect(cached.code, cached.stderr).toBe(0);
    expect(cached.stdout).toContain('nothing to do: every node was cached');
    expect(imports()).toEqual(['engine', 'runner']);

    // The module read LAZY_DEFAULT while it loaded: another value means another definition (a new default).
    const otherDefault = await p.run(['plan', 'r.yaml'], { ...env, LAZY_DEFAULT: 'b' });
    expect(otherDefault.stdout).toMatch(/miss\s+s\s+\w+\s+params changed: letter "a" → "b"/);
    expect(imports()).toEqual(['engine', 'runner', 'engine']);

    // runtime() read LAZY_FLAVOUR: its facts enter the key, so they are not reused under another value.
    const otherRuntime = await p.run(['plan', 'r.yaml'], { ...env, LAZY_FLAVOUR: 'spicy' });
    expect(otherRuntime.stdout).toMatch(/miss\s+s\s+\w+\s+runtime changed \(runtime\.flavour\)/);
    expect(imports()).toEqual(['engine', 'runner', 'engine', 'engine']);

    p.write('lazy/index.mjs', PLUGIN('2'));
    const edited = await p.run(['plan', 'r.yaml'], env);
    expect(edited.stdout).toMatch(/miss\s+s\s+\w+\s+plugin changed \(codeDigest, version\)/);
    expect(imports()).toEqual(['engine', 'runner', 'engine', 'engine', 'engine']);
  });

  it('planning the main job a second time loads no tfjs and compiles no schema', async () => {
    const p = new Project();
    // Lists the CommonJS modules the CLI process loaded (tfjs is CommonJS) when it exits.
    const probe = p.write('probe.mjs', `import { createRequire } from 'node:module';
import { writeFileSync } from 'node:fs';
const require = createRequire(import.meta.url);
process.on('exit', () => writeFileSync(process.env.PROBE_OUT, Object.keys(require.cache).join('\\n')));
`);
    const loaded = async (out: string) => {
      const res = await p.run(['plan', join(ROOT, 'recipes', 'llm-r.yaml'), '--runs-dir', join(p.dir, 'runs')],
        { NODE_OPTIONS: `--import=${probe}`, PROBE_OUT: join(p.dir, out) });
      expect(res.code, res.stderr).toBe(0);
      const files = readFileSync(join(p.dir, out), 'utf8').split('\n');
      return { tfjs: files.filter((f) => f.includes('@tensorflow')), ajvCompiler: files.filter((f) => f.includes('/ajv/dist/compile/')) };
    };
    const first = await loaded('first.txt');
    expect(first.tfjs.length).toBeGreaterThan(0);
    expect(first.ajvCompiler.length).toBeGreaterThan(0);
    expect(await loaded('second.txt')).toEqual({ tfjs: [], ajvCompiler: [] });
  });
});
