// Properties of the node key: it does not depend on how the recipe is written (key order, flow or block
// style, quoting, comments, blank lines), and it does depend on every labelled component.
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Document, isScalar, parse as parseYaml, visit } from 'yaml';
import { compileRecipe } from '../../src/graph/compile.js';
import { ContentHasher } from '../../src/graph/content-hash.js';
import { computeKeys, keyOf, type KeyStructure } from '../../src/graph/key.js';
import { canonicalJson } from '../../src/util/canonical.js';
import type { Key } from '../../src/util/ids.js';
import { nodeId } from '../../src/util/ids.js';

const PROBE = fileURLToPath(new URL('./fixtures/probe/', import.meta.url));
const ENV_NAME = 'RETORT_KEY_PROBE_ENV';
// RETORT_PROPERTY_RUNS raises the number of cases for a deeper local check.
const RUNS = Number(process.env.RETORT_PROPERTY_RUNS ?? 60);

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

let dir: string;
let counter = 0;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'retort-key-props-'));
  writeFileSync(join(dir, 'input.txt'), 'the same input for every recipe\n');
});
afterAll(() => { rmSync(dir, { recursive: true, force: true }); });

// ---- random recipes -------------------------------------------------------------------------------------

const ident = fc.stringMatching(/^[a-z][a-z0-9_]{0,7}$/);
// Text with the characters YAML cares about (but no '$': that would be interpolation, and no newlines).
const text = fc.string({ unit: fc.constantFrom(...'ab Z09:#-_\'"{}[],&*!|>%@`?~é'.split('')), maxLength: 12 });
const scalar: fc.Arbitrary<Json> = fc.oneof(
  fc.integer({ min: -1e9, max: 1e9 }),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.boolean(),
  fc.constant(null),
  text,
);
const value: fc.Arbitrary<Json> = fc.letrec<{ v: Json }>((tie) => ({
  v: fc.oneof({ depthSize: 'small', withCrossShrink: true },
    scalar,
    fc.array(tie('v'), { maxLength: 3 }),
    fc.dictionary(ident, tie('v'), { maxKeys: 3 })),
})).v;

interface RecipeSpec { vars: Record<string, Json>; params: Record<string, Json> }

/** vars, and params that are literals, whole-value ${vars.x} references, or text around a scalar var. */
const recipeSpec: fc.Arbitrary<RecipeSpec> = fc.record({
  vars: fc.dictionary(ident, value, { maxKeys: 4 }),
  params: fc.dictionary(ident, value, { maxKeys: 5 }),
  refs: fc.array(fc.tuple(ident, fc.nat(), fc.boolean()), { maxLength: 3 }),
}).map(({ vars, params, refs }) => {
  const names = Object.keys(vars);
  const out = { ...params };
  for (const [key, i, embed] of refs) {
    if (!names.length) break;
    const name = names[i % names.length]!;
    const v = vars[name];
    out[key] = embed && (v === null || typeof v !== 'object') ? `at ${'${'}vars.${name}} end` : `${'${'}vars.${name}}`;
  }
  return { vars, params: out };
});

function recipeObject(spec: RecipeSpec): Json {
  return { name: 'key-props', vars: spec.vars, stages: { probe: { plugin: PROBE, params: spec.params, inputs: { data: 'input.txt' } } } };
}

// ---- ways of writing the same recipe ----------------------------------------------------------------------

interface Style {
  seed: number;
  flow: number;
  stringType: 'PLAIN' | 'QUOTE_DOUBLE' | 'QUOTE_SINGLE';
  keyType: 'PLAIN' | 'QUOTE_DOUBLE' | 'QUOTE_SINGLE' | null;
  indent: number;
  indentSeq: boolean;
  comments: boolean;
  blankLines: boolean;
}

const style: fc.Arbitrary<Style> = fc.record({
  seed: fc.integer(),
  flow: fc.constantFrom(0, 0.5, 1),
  stringType: fc.constantFrom('PLAIN' as const, 'QUOTE_DOUBLE' as const, 'QUOTE_SINGLE' as const),
  keyType: fc.constantFrom('PLAIN' as const, 'QUOTE_DOUBLE' as const, 'QUOTE_SINGLE' as const, null),
  indent: fc.constantFrom(2, 3, 4),
  indentSeq: fc.boolean(),
  comments: fc.boolean(),
  blankLines: fc.boolean(),
});

function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function shuffled(value: Json, rand: () => number): Json {
  if (Array.isArray(value)) return value.map((v) => shuffled(v, rand));
  if (value === null || typeof value !== 'object') return value;
  const keys = Object.keys(value);
  for (let i = keys.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [keys[i], keys[j]] = [keys[j]!, keys[i]!];
  }
  return Object.fromEntries(keys.map((k) => [k, shuffled(value[k]!, rand)]));
}

function render(obj: Json, s: Style): string {
  const rand = random(s.seed);
  const doc = new Document(shuffled(obj, rand));
  visit(doc, {
    // Empty collections have only the flow spelling ({} and []).
    Map(_, node) { node.flow = node.items.length === 0 || rand() < s.flow; },
    Seq(_, node) { node.flow = node.items.length === 0 || rand() < s.flow; },
    Pair(_, pair) {
      if (!isScalar(pair.key)) return;
      if (s.comments && rand() < 0.5) pair.key.commentBefore = ` note ${Math.floor(rand() * 100)}: not part of the recipe`;
      if (s.blankLines && rand() < 0.5) pair.key.spaceBefore = true;
    },
  });
  if (s.comments) doc.commentBefore = ' # yaml-language-server: $schema=../schemas/recipe.schema.json';
  const out = doc.toString({ indent: s.indent, indentSeq: s.indentSeq, lineWidth: 0, defaultStringType: s.stringType, defaultKeyType: s.keyType });
  return s.comments ? out.replace(/\n/, ' # a trailing comment\n') : out;
}

const canonicalStyle: Style = { seed: 0, flow: 0, stringType: 'PLAIN', keyType: null, indent: 2, indentSeq: true, comments: false, blankLines: false };

// ---- compiling and keying ------------------------------------------------------------------------------

function writeRecipe(textOfRecipe: string): string {
  const file = join(dir, `recipe-${counter++}.yaml`);
  writeFileSync(file, textOfRecipe);
  return file;
}

async function keysOf(file: string, env: NodeJS.ProcessEnv = {}): Promise<Map<string, string>> {
  const recipe = await compileRecipe(file, { env });
  const keys = await computeKeys(recipe, new ContentHasher(), env);
  return new Map([...keys].map(([id, k]) => [id, k.key]));
}

async function probeKey(spec: RecipeSpec, s: Style = canonicalStyle, env: NodeJS.ProcessEnv = {}): Promise<string> {
  return (await keysOf(writeRecipe(render(recipeObject(spec), s)), env)).get('probe')!;
}

// ---- properties -------------------------------------------------------------------------------------------

describe('the key does not depend on how the recipe is written', () => {
  it('renderings are faithful (a check of the generator itself)', () => {
    fc.assert(fc.property(recipeSpec, style, (spec, s) => {
      expect(canonicalJson(parseYaml(render(recipeObject(spec), s)))).toBe(canonicalJson(recipeObject(spec)));
    }), { numRuns: 200 });
  });

  it('key order, flow or block style, quoting, indentation, comments and blank lines leave the key unchanged', async () => {
    await fc.assert(fc.asyncProperty(recipeSpec, style, style, async (spec, a, b) => {
      const [ka, kb] = [await probeKey(spec, a), await probeKey(spec, b)];
      expect(ka).toBe(kb);
      expect(ka).toBe(await probeKey(spec));
    }), { numRuns: RUNS });
  });

  it('the key structure hashes the same whatever the order of its keys', () => {
    fc.assert(fc.property(keyStructure, fc.integer(), (structure, seed) => {
      expect(keyOf(shuffled(structure as unknown as Json, random(seed)) as unknown as KeyStructure)).toBe(keyOf(structure));
    }), { numRuns: 200 });
  });
});

describe('the key depends on every labelled component', () => {
  it('params: changing, adding or removing any param changes the key', async () => {
    await fc.assert(fc.asyncProperty(recipeSpec, ident, value, async (spec, name, replacement) => {
      const before = await keysOf(writeRecipe(render(recipeObject(spec), canonicalStyle)));
      const changed = { ...spec, params: { ...spec.params, [name]: replacement } };
      const resolvedBefore = (await compileRecipe(writeRecipe(render(recipeObject(spec), canonicalStyle)), { env: {} })).nodes.get(nodeId('probe'))!.params;
      const resolvedAfter = (await compileRecipe(writeRecipe(render(recipeObject(changed), canonicalStyle)), { env: {} })).nodes.get(nodeId('probe'))!.params;
      fc.pre(canonicalJson(resolvedBefore) !== canonicalJson(resolvedAfter));
      expect(await probeKey(changed)).not.toBe(before.get('probe'));
    }), { numRuns: RUNS });
  });

  it('a var changes the key of the nodes whose params use it', async () => {
    await fc.assert(fc.asyncProperty(ident, value, value, async (name, a, b) => {
      fc.pre(canonicalJson(a) !== canonicalJson(b));
      const spec = (v: Json): RecipeSpec => ({ vars: { [name]: v }, params: { p: `${'${'}vars.${name}}` } });
      expect(await probeKey(spec(a))).not.toBe(await probeKey(spec(b)));
    }), { numRuns: RUNS / 2 });
  });

  it("an input file's content changes the key; its name and place do not", async () => {
    await fc.assert(fc.asyncProperty(fc.string({ maxLength: 30 }), fc.string({ maxLength: 30 }), async (a, b) => {
      const keyWith = async (content: string, name: string) => {
        writeFileSync(join(dir, name), content);
        const obj = recipeObject({ vars: {}, params: {} }) as { stages: { probe: { inputs: { data: string } } } };
        obj.stages.probe.inputs.data = name;
        return (await keysOf(writeRecipe(render(obj as unknown as Json, canonicalStyle)))).get('probe')!;
      };
      const n = counter++;
      const ka = await keyWith(a, `in-${n}-a.txt`);
      expect(await keyWith(a, `in-${n}-copy.txt`)).toBe(ka);
      if (a !== b) expect(await keyWith(b, `in-${n}-b.txt`)).not.toBe(ka);
    }), { numRuns: RUNS / 2 });
  });

  it('a declared environment variable changes the key (set, unset, or another value); others do not', async () => {
    await fc.assert(fc.asyncProperty(fc.option(fc.string({ maxLength: 10 })), fc.option(fc.string({ maxLength: 10 })), async (a, b) => {
      const spec = { vars: {}, params: { x: 1 } };
      const env = (v: string | null): NodeJS.ProcessEnv => (v === null ? { OTHER: 'x' } : { [ENV_NAME]: v, OTHER: 'x' });
      const ka = await probeKey(spec, canonicalStyle, env(a));
      expect(await probeKey(spec, canonicalStyle, { ...env(a), OTHER: 'something else', PATH: '/elsewhere' })).toBe(ka);
      if (a !== b) expect(await probeKey(spec, canonicalStyle, env(b))).not.toBe(ka);
    }), { numRuns: RUNS / 2 });
  });

  it("the plugin's version and code change the key; where the plugin folder lives does not", async () => {
    const copy = (name: string, edit: (code: string) => string) => {
      const target = join(dir, 'plugins', name);
      cpSync(PROBE, target, { recursive: true });
      writeFileSync(join(target, 'index.js'), edit(readFileSync(join(target, 'index.js'), 'utf8')));
      return target;
    };
    const keyWithPlugin = async (pluginDir: string) => {
      const obj = recipeObject({ vars: {}, params: { x: 1 } }) as { stages: { probe: { plugin: string } } };
      obj.stages.probe.plugin = pluginDir;
      return (await keysOf(writeRecipe(render(obj as unknown as Json, canonicalStyle)))).get('probe')!;
    };
    const original = await keyWithPlugin(PROBE);
    expect(await keyWithPlugin(copy('same', (c) => c))).toBe(original);
    expect(await keyWithPlugin(copy('version', (c) => c.replace("version: '1.0.0'", "version: '1.0.1'")))).not.toBe(original);
    expect(await keyWithPlugin(copy('code', (c) => c + '// an edit to the code\n'))).not.toBe(original);
  });

  it('an upstream change reaches every downstream key (a Merkle chain)', async () => {
    const chain = (x: number) => ({
      name: 'chain',
      stages: {
        a: { plugin: PROBE, params: { x } },
        b: { plugin: PROBE, inputs: { upstream: '${stages.a.outputs.out}' } },
        c: { plugin: PROBE, inputs: { upstream: '${stages.b.outputs.out}' } },
      },
    });
    const one = await keysOf(writeRecipe(render(chain(1), canonicalStyle)));
    const two = await keysOf(writeRecipe(render(chain(2), canonicalStyle)));
    for (const id of ['a', 'b', 'c']) expect(two.get(id)).not.toBe(one.get(id));
  });

  it('changing any leaf of any component of a key structure changes the key', () => {
    fc.assert(fc.property(keyStructure, fc.constantFrom('keyVersion', 'plugin', 'params', 'inputs', 'env', 'runtime'), fc.nat(), value,
      (structure, component, pick, replacement) => {
        const changed = structuredClone(structure) as unknown as Record<string, Json>;
        if (component === 'keyVersion') changed.keyVersion = (structure.keyVersion + 1 + pick % 5);
        else {
          const leaves = leafPaths(changed[component]!);
          const path = leaves.length ? leaves[pick % leaves.length]! : [`new-${pick}`];
          setLeaf(changed, [component, ...path], replacement);
          fc.pre(canonicalJson(changed) !== canonicalJson(structure));
        }
        expect(keyOf(changed as unknown as KeyStructure)).not.toBe(keyOf(structure));
      }), { numRuns: 300 });
  });
});

// ---- key structures built directly ----------------------------------------------------------------------

const hex = fc.stringMatching(/^[0-9a-f]{64}$/);
const keyStructure: fc.Arbitrary<KeyStructure> = fc.record({
  keyVersion: fc.integer({ min: 1, max: 9 }),
  plugin: fc.record({ id: ident, version: fc.stringMatching(/^\d\.\d\.\d$/), codeDigest: hex }),
  params: fc.dictionary(ident, value, { maxKeys: 4 }) as fc.Arbitrary<Record<string, unknown>>,
  inputs: fc.dictionary(ident, fc.oneof(
    fc.record({ node: hex.map((h) => h as Key), port: ident }),
    fc.record({ content: hex, kind: fc.constantFrom('file' as const, 'folder' as const) }),
  ), { maxKeys: 3 }),
  env: fc.dictionary(fc.stringMatching(/^[A-Z][A-Z_]{0,6}$/), fc.option(fc.string({ maxLength: 8 })), { maxKeys: 3 }),
  runtime: fc.record({ platform: fc.constantFrom('linux', 'darwin', 'win32'), arch: fc.constantFrom('x64', 'arm64'), node: fc.constantFrom('20', '22'), backend: fc.constantFrom('cpu', 'wasm', 'tensorflow') }),
});

function leafPaths(value: Json, prefix: (string | number)[] = []): (string | number)[][] {
  if (Array.isArray(value)) return value.length ? value.flatMap((v, i) => leafPaths(v, [...prefix, i])) : [prefix];
  if (value !== null && typeof value === 'object') {
    const keys = Object.keys(value);
    return keys.length ? keys.flatMap((k) => leafPaths(value[k]!, [...prefix, k])) : [prefix];
  }
  return [prefix];
}

function setLeaf(root: Record<string, Json>, path: (string | number)[], replacement: Json): void {
  let cur: Json = root;
  for (const seg of path.slice(0, -1)) cur = (cur as Record<string | number, Json>)[seg]!;
  const last = path[path.length - 1]!;
  if (cur !== null && typeof cur === 'object') (cur as Record<string | number, Json>)[last] = replacement;
}
