// JSON Schema checks (ajv, 2020-12) whose errors point into the recipe source and say what was expected.
import { createRequire } from 'node:module';
import type { Ajv2020, ErrorObject, ValidateFunction } from 'ajv/dist/2020.js';
import { didYouMean } from '../util/suggest.js';
import type { Diagnostic, SourceLocation } from './diagnostic.js';
import { formatKeyPath, type KeyPath, type SourceMap } from './source-map.js';
import { ValidatorCache, type Validator } from './validator-cache.js';

const require = createRequire(import.meta.url);

// The recipe schema is ours and tested: skip meta-validating it on every start (halves its compile time).
const STRICT = { allErrors: true, verbose: true, strict: false, validateSchema: false };
const DEFAULTING = { allErrors: true, verbose: true, strict: false, useDefaults: true };
// ajv loads only when a schema is not in the validator cache (a cached run needs none of it).
let strictAjv: Ajv2020 | undefined;
let defaultingAjv: Ajv2020 | undefined;
const compiled = new WeakMap<object, Validator>();
const compiledDefaulting = new WeakMap<object, Validator>();
let stored: ValidatorCache | undefined;

/** Keeps compiled validators in `file` between runs (undefined: compile every schema in each process). */
export function useValidatorCache(file: string | undefined): void {
  if (file === undefined) { stored = undefined; return; }
  if (stored?.file !== file) stored = ValidatorCache.open(file);
}

export function saveValidatorCache(): void {
  stored?.save();
}

function ajvFor(applyDefaults: boolean): Ajv2020 {
  const { Ajv2020: Ajv } = require('ajv/dist/2020.js') as typeof import('ajv/dist/2020.js');
  // Keeps each validator's source, from which the cache writes standalone code.
  const code = { code: { source: true } };
  if (applyDefaults) return (defaultingAjv ??= new Ajv({ ...DEFAULTING, ...code }));
  return (strictAjv ??= new Ajv({ ...STRICT, ...code }));
}

export class SchemaError extends Error {}

function compile(schema: object, applyDefaults: boolean): Validator {
  const cache = applyDefaults ? compiledDefaulting : compiled;
  let fn = cache.get(schema);
  if (fn) return fn;
  const key = stored ? ValidatorCache.keyOf(JSON.stringify(applyDefaults ? DEFAULTING : STRICT), schema) : '';
  fn = stored?.load(key);
  if (!fn) {
    const ajv = ajvFor(applyDefaults);
    let made: ValidateFunction;
    try {
      made = ajv.compile(schema);
    } catch (err) {
      throw new SchemaError((err as Error).message);
    }
    if (stored) {
      const standalone = (require('ajv/dist/standalone/index.js') as { default: (ajv: Ajv2020, fn: ValidateFunction) => string }).default;
      stored.remember(key, standalone(ajv, made));
    }
    fn = made as Validator;
  }
  cache.set(schema, fn);
  return fn;
}

export interface ValidationContext {
  sources: SourceMap;
  /** Where `value` sits in the recipe document (for locations). */
  basePath: KeyPath;
  /** Path used for source lookups when it differs from basePath (e.g. expanded nodes). */
  sourcePath?: KeyPath;
  /** Extra text for every message, e.g. "(foreach item 'rte')". */
  suffix?: string;
  /** Where to point when the source map knows nothing closer (never leave a diagnostic without a location). */
  fallback: SourceLocation;
  /** How to name the keys of the validated mapping, e.g. { noun: 'param', owner: "of plugin 'numbers'" }. */
  keys?: { noun: string; owner: string };
}

/** Validates value in place (applying defaults when asked); returns located diagnostics. */
export function validateWithSchema(schema: object, value: unknown, ctx: ValidationContext, applyDefaults = false): Diagnostic[] {
  const fn = compile(schema, applyDefaults);
  if (fn(value)) return [];
  return toDiagnostics((fn.errors ?? []) as ErrorObject[], value, ctx);
}

function toKeyPath(instancePath: string, data: unknown): (string | number)[] {
  const out: (string | number)[] = [];
  let cur = data;
  for (const raw of instancePath.split('/').slice(1)) {
    const seg = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    const key = Array.isArray(cur) ? Number(seg) : seg;
    out.push(key);
    cur = cur !== null && typeof cur === 'object' ? (cur as Record<string | number, unknown>)[key] : undefined;
  }
  return out;
}

/** How a value reads in a message: `string "abc"`, `number 3`, `a list`. */
export function describeValue(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (Array.isArray(v)) return v.length ? 'a list' : 'an empty list';
  if (typeof v === 'object') return Object.keys(v).length ? 'a mapping' : 'an empty mapping';
  if (typeof v === 'string') return `string ${JSON.stringify(v.length > 40 ? v.slice(0, 40) + '…' : v)}`;
  return `${typeof v} ${String(v)}`;
}

const TYPE_NAMES: Record<string, string> = {
  object: 'a mapping', array: 'a list', string: 'a string', integer: 'an integer', number: 'a number', boolean: 'true or false', null: 'null',
};

/** JSON Schema type names in words: ["integer", "string"] → "an integer or a string". */
export function typeNames(types: unknown): string {
  const list = [types].flat().map(String);
  return list.map((t) => TYPE_NAMES[t] ?? t).join(' or ');
}

/** Errors of the `${…}` alternative of a union (see $defs/interpolation in the recipe schema). */
function isInterpolationAlternative(e: ErrorObject): boolean {
  return e.schemaPath.includes('/interpolation/') || (e.keyword === 'pattern' && String((e.params as { pattern?: string }).pattern).includes('\\$\\{'));
}

function toDiagnostics(errors: ErrorObject[], data: unknown, ctx: ValidationContext): Diagnostic[] {
  const isDeeper = (a: string, b: string) => a.startsWith(b + '/');
  // propertyNames reports each bad name twice (the inner keyword, then propertyNames itself): keep the latter.
  let list = errors.filter((e) => e.propertyName === undefined);
  // An if/then/else only restates the errors of the branch that failed, which are listed beside it.
  list = list.filter((e) => e.keyword !== 'if');
  // Union errors (anyOf/oneOf) say little when a more specific error exists below them.
  list = list.filter((e) => !((e.keyword === 'anyOf' || e.keyword === 'oneOf') && list.some((o) => isDeeper(o.instancePath, e.instancePath))));
  const unions = list.filter((e) => e.keyword === 'anyOf' || e.keyword === 'oneOf');
  const diagnostics: Diagnostic[] = [];
  const seen = new Set<string>();
  const push = (path: KeyPath, message: string, hint?: string, atKey = false, notes?: string[]) => {
    const docPath = [...ctx.basePath, ...path];
    const srcPath = [...(ctx.sourcePath ?? ctx.basePath), ...path];
    const id = `${formatKeyPath(docPath)}\u0000${message}`;
    if (seen.has(id)) return;
    seen.add(id);
    const entry = ctx.sources.get(srcPath) ?? ctx.sources.nearest(srcPath);
    diagnostics.push({
      message: message + (ctx.suffix ? ` ${ctx.suffix}` : ''),
      keyPath: formatKeyPath(docPath),
      location: (atKey ? entry?.key : undefined) ?? entry?.value ?? ctx.fallback,
      includedFrom: entry?.includedFrom,
      hint,
      notes,
    });
  };
  for (const union of unions) {
    const at = union.instancePath;
    const siblings = list.filter((e) => e.instancePath === at && e !== union);
    const specific = siblings.filter((e) => e.keyword !== 'type' && !isInterpolationAlternative(e));
    const path = toKeyPath(at, data);
    if (specific.length) {
      for (const e of specific) { const m = messageFor(e); push(path, m.message, m.hint); }
    } else {
      const types = [...new Set(siblings.filter((e) => e.keyword === 'type' && !isInterpolationAlternative(e)).map((e) => typeNames((e.params as { type: string }).type)))];
      const interp = siblings.some(isInterpolationAlternative);
      const expected = [...types, ...(interp ? ['a ${…} expression'] : [])].join(' or ') || 'a different value';
      push(path, `expected ${expected}, got ${describeValue(union.data)}`);
    }
    list = list.filter((e) => !(e.instancePath === at));
  }
  for (const e of list) {
    const path = toKeyPath(e.instancePath, data);
    const docPath = [...ctx.basePath, ...path];
    if (e.keyword === 'additionalProperties') {
      const prop = (e.params as { additionalProperty: string }).additionalProperty;
      const allowed = Object.keys(((e.parentSchema as { properties?: object })?.properties) ?? {}).filter((k) => k !== '$schema');
      const expected = allowed.length ? `expected one of: ${allowed.join(', ')}` : 'this mapping takes no keys';
      const suggestion = didYouMean(prop, allowed);
      const what = ctx.keys && path.length === 0 ? `unknown ${ctx.keys.noun} '${prop}' ${ctx.keys.owner}` : `unknown key '${prop}'${where(docPath)}`;
      push([...path, prop], what, suggestion ?? expected, true, suggestion ? [expected] : undefined);
      continue;
    }
    if (e.keyword === 'propertyNames') {
      const name = String((e.params as { propertyName: string }).propertyName);
      const what = docPath.length === 1 && docPath[0] === 'stages' ? 'stage name' : 'name';
      push([...path, name], `invalid ${what} '${name}'`, 'expected a name that starts with a letter or _ and contains only letters, digits, _ and -', true);
      continue;
    }
    const { message, hint } = messageFor(e);
    const named = ctx.keys && path.length === 0 && e.keyword === 'required'
      ? `missing required ${ctx.keys.noun} '${String((e.params as { missingProperty: string }).missingProperty)}' ${ctx.keys.owner}` : message;
    push(path, named, hint, e.keyword === 'required');
  }
  return diagnostics;
}

/** " in stage 'x'" or " at the top level" for unknown keys of the mapping at `parent`. */
function where(parent: KeyPath): string {
  if (parent.length === 0) return ' at the top level of the recipe';
  if (parent.length === 2 && parent[0] === 'stages') return ` in stage '${String(parent[1])}'`;
  return ` in ${formatKeyPath(parent)}`;
}

function messageFor(e: ErrorObject): { message: string; hint?: string } {
  const p = e.params as Record<string, unknown>;
  const parent = (e.parentSchema ?? {}) as Record<string, unknown>;
  const got = describeValue(e.data);
  const noun = parent.type === 'integer' ? 'an integer' : 'a number';
  switch (e.keyword) {
    case 'type':
      return { message: `expected ${typeNames(p.type)}, got ${got}` };
    case 'required': {
      const name = String(p.missingProperty);
      const props = (parent.properties ?? {}) as Record<string, { description?: string }>;
      const description = props[name]?.description;
      return { message: `missing required key '${name}'`, hint: description ? `expected ${name}: ${description}` : undefined };
    }
    case 'enum': {
      const allowed = (p.allowedValues as unknown[]).map((v) => JSON.stringify(v));
      const hint = typeof e.data === 'string' ? didYouMean(e.data, (p.allowedValues as unknown[]).map(String)) : undefined;
      return { message: `expected one of ${allowed.join(', ')}, got ${got}`, hint };
    }
    case 'const':
      return { message: `expected ${JSON.stringify(p.allowedValue)}, got ${got}` };
    case 'minimum': return { message: `expected ${noun} ≥ ${String(p.limit)}, got ${got}` };
    case 'maximum': return { message: `expected ${noun} ≤ ${String(p.limit)}, got ${got}` };
    case 'exclusiveMinimum': return { message: `expected ${noun} > ${String(p.limit)}, got ${got}` };
    case 'exclusiveMaximum': return { message: `expected ${noun} < ${String(p.limit)}, got ${got}` };
    case 'multipleOf': return { message: `expected a multiple of ${String(p.multipleOf)}, got ${got}` };
    case 'minLength': return { message: `expected a string of at least ${plural(p.limit, 'character')}, got ${got}` };
    case 'maxLength': return { message: `expected a string of at most ${plural(p.limit, 'character')}, got ${got}` };
    case 'minItems': return { message: `expected a list of at least ${plural(p.limit, 'item')}, got ${got}` };
    case 'maxItems': return { message: `expected a list of at most ${plural(p.limit, 'item')}, got ${got}` };
    case 'minProperties': return { message: `expected at least ${plural(p.limit, 'entry', 'entries')}, got ${got}`, hint: typeof parent.description === 'string' ? `expected ${parent.description}` : undefined };
    case 'maxProperties': return { message: `expected at most ${plural(p.limit, 'entry', 'entries')}` };
    case 'uniqueItems': return { message: `expected unique items, but items ${String(p.j)} and ${String(p.i)} are equal` };
    case 'pattern': return { message: `expected a string matching /${String(p.pattern)}/, got ${got}` };
    case 'format': return { message: `expected ${String(p.format)}, got ${got}` };
    default:
      return { message: `${e.message ?? 'invalid value'} (got ${got})` };
  }
}

function plural(n: unknown, word: string, many = `${word}s`): string {
  return `${String(n)} ${n === 1 ? word : many}`;
}
