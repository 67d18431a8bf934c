// The compiled-plan cache gives exactly what a fresh compile gives: it is reused only while every
// ingredient is unchanged, and each ingredient changed on its own makes it compile again.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { compileRecipe } from '../../src/graph/compile.js';
import { compileCachePath, MAX_ENTRIES, prepareWithCompileCache } from '../../src/graph/compile-cache.js';
import { ContentHasher } from '../../src/graph/content-hash.js';
import { computeKeys } from '../../src/graph/key.js';
import { CACHE_FORMAT, fromCached, toCached } from '../../src/graph/compile-cache-format.js';
import { sha256Hex } from '../../src/util/canonical.js';
import { nodeId } from '../../src/util/ids.js';

const PLUGIN = `export default {
  id: 'echo', version: '1',
  params: { type: 'object', additionalProperties: false, properties: { v: { type: 'number' }, tag: { type: 'string', default: 'x' } } },
  inputs: { data: { optional: true } },
  outputs: { out: {} },
  env: ['ECHO_MODE'],
  run() {},
};
`;

const RECIPE = `name: cc
include: part.yaml
vars:
  items: [1, 2, 3]
  tag: \${env:CC_TAG,plain}
stages:
  first:
    plugin: ./echo
    foreach: \${vars.items}
    params:
      v: \${item}
      tag: \${vars.tag}
    inputs:
      data: data.txt
  second:
    plugin: ./echo
    foreach: \${vars.items}
    params:
      v: \${vars.scale}
    inputs:
      data: \${stages.first[\${item}].outputs.out}
`;

// Every shape of node: plain, foreach over scalars and over mappings (named, repeated names), repeat with
// prev/initial, a fan-in list, path inputs shared by nodes, resources, and a stage that consumes one
// declared after it (so the topological order is not the node order).
const GATHER = `export default {
  id: 'gather', version: '1',
  params: { type: 'object', additionalProperties: false, properties: { label: { type: 'string' } } },
  inputs: { parts: { many: true }, extra: { optional: true } },
  outputs: { out: {} },
  run() {},
};
`;

const SHAPES = `name: shapes
vars:
  models: [{ name: small, n: 1 }, { name: small, n: 2 }, { name: large, n: 3 }]
executor:
  type: local
stages:
  early:
    plugin: ./gather
    params:
      label: \${env:CC_LABEL,none}
    inputs:
      parts: \${stages.named.outputs.out}
      extra: data.txt
  named:
    plugin: ./echo
    foreach: \${vars.models}
    params:
      v: \${item.n}
    inputs:
      data: data.txt
    resources:
      memoryMb: 64
      cpus: 1
  refine:
    plugin: ./echo
    repeat: 3
    initial:
      data: \${stages.early.outputs.out}
    inputs:
      data: \${prev.outputs.out}
    params:
      v: \${iter}
  last:
    plugin: ./gather
    inputs:
      parts:
        - \${stages.refine.outputs.out}
        - \${stages.named[small].outputs.out}
        - other.txt
report:
  tables:
    - stage: named
      row: item.name
      metrics: [v]
`;

const made: string[] = [];
afterAll(() => { for (const d of made) rmSync(d, { recursive: true, force: true }); });

let dir: string;
let runsDir: string;
let recipeFile: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'retort-compile-cache-'));
  made.push(dir);
  runsDir = join(dir, 'runs');
  mkdirSync(join(dir, 'echo'));
  writeFileSync(join(dir, 'echo', 'index.mjs'), PLUGIN);
  writeFileSync(join(dir, 'part.yaml'), 'vars:\n  scale: 10\n');
  writeFileSync(join(dir, 'data.txt'), 'first contents\n');
  recipeFile = join(dir, 'r.yaml');
  writeFileSync(recipeFile, RECIPE);
});

interface Prepared { keys: Record<string, string>; reused: boolean; nodes: unknown }

/** One prepare through the cache (saved as plan and run save it), with what a fresh compile would give. */
async function prepare(overrides: string[] = [], env: NodeJS.ProcessEnv = {}): Promise<Prepared & { fresh: Record<string, string> }> {
  const fresh = async (e: NodeJS.ProcessEnv) => {
    const recipe = await compileRecipe(recipeFile, { overrides, env: e });
    const hasher = new ContentHasher();
    return { recipe, keys: await computeKeys(recipe, hasher, e), runsDir, hasher };
  };
  const cached = await prepareWithCompileCache({ file: recipeFile, overrides, multirun: false, runsDir, env }, new ContentHasher(), fresh);
  await cached.save();
  const reference = await fresh(env);
  const keysOf = (m: Map<string, { key: string }>) => Object.fromEntries([...m].map(([id, k]) => [id, k.key]));
  // Node specs compared without their plugin objects (loaded per process) but with the plugin's identity.
  const nodes = [...cached.prepared.recipe.nodes.values()].map(({ plugin, ...rest }) => ({ ...rest, plugin: plugin.def.id }));
  const freshNodes = [...reference.recipe.nodes.values()].map(({ plugin, ...rest }) => ({ ...rest, plugin: plugin.def.id }));
  expect(nodes).toEqual(freshNodes);
  expect(cached.prepared.recipe.order).toEqual(reference.recipe.order);
  expect([...cached.prepared.recipe.stages]).toEqual([...reference.recipe.stages]);
  expect(cached.prepared.recipe.vars).toEqual(reference.recipe.vars);
  const { nodes: _n, order: _o, stages: _s, sources: _src, ...rest } = cached.prepared.recipe;
  const { nodes: _fn, order: _fo, stages: _fs, sources: _fsrc, ...freshRest } = reference.recipe;
  expect(rest).toEqual(freshRest);
  for (const [id, k] of cached.prepared.keys) expect(k.structure).toEqual(reference.keys.get(id)!.structure);
  return { keys: keysOf(cached.prepared.keys), fresh: keysOf(reference.keys), reused: cached.reused, nodes };
}

describe('compiled-plan cache', () => {
  it('is reused when nothing changed, and gives the nodes and keys of a fresh compile', async () => {
    const first = await prepare();
    expect(first.reused).toBe(false);
    const second = await prepare();
    expect(second.reused).toBe(true);
    expect(second.keys).toEqual(first.keys);
    expect(second.keys).toEqual(second.fresh);
    expect(Object.keys(second.keys)).toHaveLength(6);
  });

  it('compiles again when the recipe text changes', async () => {
    const before = await prepare();
    writeFileSync(recipeFile, RECIPE.replace('[1, 2, 3]', '[1, 2, 4]'));
    const after = await prepare();
    expect(after.reused).toBe(false);
    expect(after.keys).toEqual(after.fresh);
    expect(after.keys['first[4]']).toBeDefined();
    expect(after.keys['first[1]']).toBe(before.keys['first[1]']);
  });

  it('compiles again when an included file changes', async () => {
    const before = await prepare();
    writeFileSync(join(dir, 'part.yaml'), 'vars:\n  scale: 11\n');
    const after = await prepare();
    expect(after.reused).toBe(false);
    expect(after.keys).toEqual(after.fresh);
    expect(after.keys['second[1]']).not.toBe(before.keys['second[1]']);
  });

  it('keeps one entry per set of overrides: another override is compiled, the first one is still reused', async () => {
    const plain = await prepare();
    const overridden = await prepare(['vars.scale=12']);
    expect(overridden.reused).toBe(false);
    expect(overridden.keys).toEqual(overridden.fresh);
    expect(overridden.keys['second[1]']).not.toBe(plain.keys['second[1]']);
    expect(compileCachePath(runsDir, recipeFile, ['vars.scale=12'])).not.toBe(compileCachePath(runsDir, recipeFile, []));
    const again = await prepare(['vars.scale=12']);
    expect(again.reused).toBe(true);
    expect(again.keys).toEqual(overridden.keys);
  });

  it('compiles again when an environment variable the recipe reads changes, not when another one does', async () => {
    const before = await prepare([], { CC_TAG: 'a' });
    const unrelated = await prepare([], { CC_TAG: 'a', SOMETHING_ELSE: '1' });
    expect(unrelated.reused).toBe(true);
    const after = await prepare([], { CC_TAG: 'b' });
    expect(after.reused).toBe(false);
    expect(after.keys).toEqual(after.fresh);
    expect(after.keys['first[1]']).not.toBe(before.keys['first[1]']);
    // Unset again: the default applies, which is another value than 'b'.
    const unset = await prepare([], {});
    expect(unset.reused).toBe(false);
  });

  it("compiles again when a variable in a plugin's declared env changes (it enters the keys)", async () => {
    const before = await prepare([], { ECHO_MODE: 'fast' });
    const after = await prepare([], { ECHO_MODE: 'slow' });
    expect(after.reused).toBe(false);
    expect(after.keys).toEqual(after.fresh);
    expect(after.keys['first[1]']).not.toBe(before.keys['first[1]']);
  });

  it("compiles again when an input file's content changes", async () => {
    const before = await prepare();
    writeFileSync(join(dir, 'data.txt'), 'second contents, longer\n');
    const after = await prepare();
    expect(after.reused).toBe(false);
    expect(after.keys).toEqual(after.fresh);
    expect(after.keys['first[1]']).not.toBe(before.keys['first[1]']);
    // Downstream keys follow (a Merkle chain).
    expect(after.keys['second[1]']).not.toBe(before.keys['second[1]']);
  });

  it('a torn or altered cache file costs a compile, never a wrong result', async () => {
    await prepare();
    const path = compileCachePath(runsDir, recipeFile, []);
    const text = readFileSync(path, 'utf8');
    writeFileSync(path, text.slice(0, Math.floor(text.length / 2)));
    const torn = await prepare();
    expect(torn.reused).toBe(false);
    expect(torn.keys).toEqual(torn.fresh);
    // A changed key inside an otherwise well-formed file: the checksum no longer matches.
    const whole = readFileSync(path, 'utf8');
    const firstKey = torn.keys['first[1]']!;
    writeFileSync(path, whole.replace(firstKey, firstKey.replace(/^./, (c) => (c === '0' ? '1' : '0'))));
    const altered = await prepare();
    expect(altered.reused).toBe(false);
    expect(altered.keys).toEqual(torn.keys);
  });

  it('gives back every shape of node (repeat, mapping items, fan-in lists, shared paths, resources) as a fresh compile does', async () => {
    mkdirSync(join(dir, 'gather'));
    writeFileSync(join(dir, 'gather', 'index.mjs'), GATHER);
    writeFileSync(join(dir, 'other.txt'), 'other\n');
    writeFileSync(recipeFile, SHAPES);
    const first = await prepare([], { CC_LABEL: 'x' });
    expect(first.reused).toBe(false);
    const second = await prepare([], { CC_LABEL: 'x' });
    expect(second.reused).toBe(true);
    expect(second.keys).toEqual(second.fresh);
    expect(Object.keys(second.keys).sort()).toEqual(['early', 'last', 'named[large]', 'named[small]', 'named[small~2]', 'refine#0', 'refine#1', 'refine#2']);
    // The label's variable was read while compiling: another value compiles again.
    const relabelled = await prepare([], { CC_LABEL: 'y' });
    expect(relabelled.reused).toBe(false);
    expect(relabelled.keys.early).not.toBe(second.keys.early);
    writeFileSync(join(dir, 'other.txt'), 'changed\n');
    const changed = await prepare([], { CC_LABEL: 'y' });
    expect(changed.reused).toBe(false);
    expect(changed.keys.last).not.toBe(relabelled.keys.last);
    expect(changed.keys.early).toBe(relabelled.keys.early);
  });

  it('an entry of an older format costs a compile, and is replaced', async () => {
    await prepare();
    const path = compileCachePath(runsDir, recipeFile, []);
    const body = readFileSync(path, 'utf8').slice(65);
    const entry = JSON.parse(body) as { format: number };
    expect(entry.format).toBe(CACHE_FORMAT);
    // An entry as the previous format wrote it, with a checksum that matches: only its format says it is old.
    const old = JSON.stringify({ ...entry, format: CACHE_FORMAT - 1 });
    writeFileSync(path, `${sha256Hex(old)}\n${old}`);
    const stale = await prepare();
    expect(stale.reused).toBe(false);
    expect(stale.keys).toEqual(stale.fresh);
    expect((JSON.parse(readFileSync(path, 'utf8').slice(65)) as { format: number }).format).toBe(CACHE_FORMAT);
    expect((await prepare()).reused).toBe(true);
  });

  it('a recipe edited while it compiles is not saved: the next prepare compiles the new text', async () => {
    const fresh = async (e: NodeJS.ProcessEnv) => {
      const recipe = await compileRecipe(recipeFile, { env: e });
      writeFileSync(recipeFile, RECIPE.replace('[1, 2, 3]', '[1, 2, 5]'));
      const hasher = new ContentHasher();
      return { recipe, keys: await computeKeys(recipe, hasher, e), runsDir, hasher };
    };
    const during = await prepareWithCompileCache({ file: recipeFile, overrides: [], multirun: false, runsDir, env: {} }, new ContentHasher(), fresh);
    await during.save();
    expect(during.prepared.recipe.nodes.has(nodeId('first[3]'))).toBe(true);
    const next = await prepare();
    expect(next.reused).toBe(false);
    expect(next.keys['first[5]']).toBeDefined();
    expect((await prepare()).reused).toBe(true);
  });

  it('is not used for a sweep (-m): each call compiles', async () => {
    const fresh = async (e: NodeJS.ProcessEnv) => {
      const recipe = await compileRecipe(recipeFile, { env: e });
      const hasher = new ContentHasher();
      return { recipe, keys: await computeKeys(recipe, hasher, e), runsDir, hasher };
    };
    const request = { file: recipeFile, overrides: [], multirun: true, runsDir, env: {} };
    await (await prepareWithCompileCache(request, new ContentHasher(), fresh)).save();
    const second = await prepareWithCompileCache(request, new ContentHasher(), fresh);
    expect(second.reused).toBe(false);
  });

  it('keeps only the most recently written entries', async () => {
    await prepare(['vars.scale=0']);
    const oldest = compileCachePath(runsDir, recipeFile, ['vars.scale=0']);
    // Written long ago, as far as the clock of the file system says.
    utimesSync(oldest, new Date(1_000_000), new Date(1_000_000));
    for (let i = 1; i <= MAX_ENTRIES; i++) await prepare([`vars.scale=${i}`]);
    expect(readdirSync(join(runsDir, 'store', 'compiled')).filter((n) => n.endsWith('.json'))).toHaveLength(MAX_ENTRIES);
    expect(existsSync(oldest)).toBe(false);
    expect(existsSync(compileCachePath(runsDir, recipeFile, [`vars.scale=${MAX_ENTRIES}`]))).toBe(true);
  });

  it('writes each key once: key inputs that follow from upstream keys and input digests are left out, and read back equal', async () => {
    const first = await prepare();
    const text = readFileSync(compileCachePath(runsDir, recipeFile, []), 'utf8');
    for (const key of Object.values(first.keys)) expect(text.split(key)).toHaveLength(2);
    // The input file's digest is stored once too (in the inputs list), not once per node that reads it.
    const hasher = new ContentHasher();
    const digest = (await hasher.hashPath(join(dir, 'data.txt'))).sha256;
    expect(text.split(digest)).toHaveLength(2);
    const second = await prepare();
    expect(second.reused).toBe(true);
  });

  it('keeps key inputs, key params, declared env and upstream lists that do not follow from the rest as they are', async () => {
    const recipe = await compileRecipe(recipeFile, { env: {} });
    const keys = await computeKeys(recipe, new ContentHasher(), {});
    const odd = keys.get(nodeId('second[1]'))!;
    const inputs = { data: { node: keys.get(nodeId('first[2]'))!.key, port: 'out' } };
    keys.set(nodeId('second[1]'), { ...odd, structure: { ...odd.structure, inputs } });
    const third = keys.get(nodeId('second[3]'))!;
    const params = { ...third.structure.params, v: 99 };
    const env = { ECHO_MODE: 'other' };
    keys.set(nodeId('second[3]'), { ...third, structure: { ...third.structure, params, env } });
    recipe.nodes.get(nodeId('first[3]'))!.upstream = [nodeId('first[1]')];
    const cached = toCached(recipe, keys)!;
    const ids = [...recipe.nodes.keys()];
    expect(cached.odd?.[ids.indexOf(nodeId('second[1]'))]).toEqual({ keyInputs: inputs });
    expect(cached.odd?.[ids.indexOf(nodeId('second[3]'))]).toEqual({ keyParams: params, keyEnv: env });
    expect(cached.odd?.[ids.indexOf(nodeId('first[3]'))]).toEqual({ upstream: ['first[1]'] });
    expect(cached.odd?.[ids.indexOf(nodeId('second[2]'))]).toBeUndefined();
    const back = fromCached(JSON.parse(JSON.stringify(cached)), [...new Set([...recipe.nodes.values()].map((n) => n.plugin))], () => recipe.sources)!;
    for (const [id, k] of keys) expect(back.keys.get(id)!.structure).toEqual(k.structure);
    expect(back.recipe.nodes.get(nodeId('first[3]'))!.upstream).toEqual(['first[1]']);
    expect(back.recipe.nodes.get(nodeId('first[2]'))!.upstream).toEqual([]);
  });
});
