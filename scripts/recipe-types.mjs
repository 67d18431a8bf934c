#!/usr/bin/env node
// Writes src/graph/recipe-doc.generated.ts, the TypeScript shape of a recipe document, from
// schemas/recipe.schema.json: the schema stays the one source (editors read it), the types follow.
//   node scripts/recipe-types.mjs            rewrite the file
//   node scripts/recipe-types.mjs --stdout   print it instead (the test compares the two)
//   --schema <file>                          read another schema (the test's small ones)
// Handles what the recipe schema uses: properties (required or optional), additionalProperties as
// index signatures, enum/const as literal unions, anyOf/oneOf and if/then/else as unions, arrays
// (a fixed length as a tuple), $ref to #/$defs/<name>, descriptions as doc comments.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const DEFAULT_SCHEMA = join(ROOT, 'schemas', 'recipe.schema.json');
const OUT = join(ROOT, 'src', 'graph', 'recipe-doc.generated.ts');
const WIDTH = 110;

/** The name of a `$defs` entry: sweepAxis → SweepAxisDoc. */
const typeName = (def) => `${def[0].toUpperCase()}${def.slice(1)}Doc`;
const literal = (v) => typeof v === 'string' ? `'${v.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'` : JSON.stringify(v);
const key = (k) => /^[A-Za-z_$][\w$]*$/.test(k) ? k : literal(k);
const pad = (depth) => '  '.repeat(depth);

/** A doc comment at `depth`, wrapped to WIDTH; none for a schema without a description. */
function doc(text, depth) {
  if (!text) return [];
  const words = text.replace(/\*\//g, '*\\/').split(/\s+/);
  const one = `${pad(depth)}/** ${words.join(' ')} */`;
  if (one.length <= WIDTH) return [one];
  const room = WIDTH - pad(depth).length - 3;
  const lines = [''];
  for (const w of words) {
    const last = lines.length - 1;
    if (lines[last] && lines[last].length + w.length + 1 > room) lines.push(w);
    else lines[last] = lines[last] ? `${lines[last]} ${w}` : w;
  }
  return [`${pad(depth)}/**`, ...lines.map((l) => `${pad(depth)} * ${l}`), `${pad(depth)} */`];
}

/** Whether the type of `s` is a union (and needs parentheses before []). */
const isUnion = (s) => Boolean(s.anyOf || s.oneOf || s.if || (s.enum && s.enum.length > 1) || Array.isArray(s.type) || exactlyOneKey(s));
const exactlyOneKey = (s) => s.properties && s.additionalProperties === false && s.minProperties === 1 && s.maxProperties === 1;

/** The TypeScript type of schema `s`, written at `depth` (object members one level deeper). */
function typeOf(s, depth) {
  if (s === true || s === undefined || Object.keys(s).every((k) => k === 'description')) return 'JsonValue';
  if (s.$ref) return typeName(s.$ref.replace(/^#\/\$defs\//, ''));
  if ('const' in s) return literal(s.const);
  if (s.enum) return s.enum.map(literal).join(' | ');
  const alternatives = s.anyOf ?? s.oneOf ?? (s.if ? [s.then, s.else].filter(Boolean) : undefined);
  if (alternatives) return alternatives.map((a) => typeOf(a, depth)).join(' | ');
  if (Array.isArray(s.type)) return s.type.map((type) => typeOf({ ...s, type }, depth)).join(' | ');
  switch (s.type) {
    case 'string': return 'string';
    case 'number': case 'integer': return 'number';
    case 'boolean': return 'boolean';
    case 'null': return 'null';
    case 'array': return arrayOf(s, depth);
    case 'object': return objectOf(s, depth);
    default: return 'JsonValue';
  }
}

function arrayOf(s, depth) {
  const items = s.items ?? true;
  const item = typeOf(items, depth);
  if (s.minItems !== undefined && s.minItems === s.maxItems && s.minItems <= 4) return `[${Array(s.minItems).fill(item).join(', ')}]`;
  return items !== true && isUnion(items) ? `(${item})[]` : `${item}[]`;
}

function objectOf(s, depth) {
  const props = Object.entries(s.properties ?? {});
  if (exactlyOneKey(s)) return props.map(([k, p]) => members([[k, p]], [k], undefined, depth)).join(' | ');
  const extra = s.additionalProperties === false ? undefined : s.additionalProperties ?? true;
  return members(props, s.required ?? [], extra, depth);
}

/** An object type literal: one line when no member has a doc comment and it is short. */
function members(props, required, extra, depth) {
  const rows = props.map(([k, p]) => ({ docs: doc(p.description, depth + 1), text: `${key(k)}${required.includes(k) ? '' : '?'}: ${typeOf(p, depth + 1)}` }));
  if (extra !== undefined) rows.push({ docs: [], text: `[key: string]: ${typeOf(extra, depth + 1)}` });
  const flat = `{ ${rows.map((r) => r.text).join('; ')} }`;
  if (rows.every((r) => !r.docs.length) && !flat.includes('\n') && flat.length + pad(depth).length < 100) return flat;
  return `{\n${rows.flatMap((r) => [...r.docs, `${pad(depth + 1)}${r.text};`]).join('\n')}\n${pad(depth)}}`;
}

export function generate(schema, source) {
  const named = [['RecipeDoc', schema], ...Object.entries(schema.$defs ?? {}).map(([k, s]) => [typeName(k), s])];
  return [
    `// Generated by scripts/recipe-types.mjs from ${source}: do not edit. Change the schema, then run`,
    '// `node scripts/recipe-types.mjs` (test/graph/recipe-doc-types.test.ts fails while this file is stale).',
    '',
    '/** Any JSON value: what the schema admits where it says no more. */',
    'export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };',
    ...named.flatMap(([name, s]) => ['', ...doc(s.description, 0), `export type ${name} = ${typeOf(s, 0)};`]),
    '',
  ].join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const at = process.argv.indexOf('--schema');
  const file = at >= 0 ? process.argv[at + 1] : DEFAULT_SCHEMA;
  const text = generate(JSON.parse(readFileSync(file, 'utf8')), relative(ROOT, file).replace(/\\/g, '/'));
  if (process.argv.includes('--stdout')) process.stdout.write(text);
  else writeFileSync(OUT, text);
}
