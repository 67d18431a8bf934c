// JSON Schema checks (ajv, 2020-12) whose errors point into the recipe source.
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import { didYouMean } from '../util/suggest.js';
import type { Diagnostic } from './diagnostic.js';
import { formatKeyPath, type KeyPath, type SourceMap } from './source-map.js';

const strictAjv = new Ajv2020({ allErrors: true, verbose: true, strict: false });
const defaultingAjv = new Ajv2020({ allErrors: true, verbose: true, strict: false, useDefaults: true });
const compiled = new WeakMap<object, ValidateFunction>();
const compiledDefaulting = new WeakMap<object, ValidateFunction>();

export class SchemaError extends Error {}

function compile(schema: object, applyDefaults: boolean): ValidateFunction {
  const cache = applyDefaults ? compiledDefaulting : compiled;
  let fn = cache.get(schema);
  if (!fn) {
    try {
      fn = (applyDefaults ? defaultingAjv : strictAjv).compile(schema);
    } catch (err) {
      throw new SchemaError((err as Error).message);
    }
    cache.set(schema, fn);
  }
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
}

/** Validates value in place (applying defaults when asked); returns located diagnostics. */
export function validateWithSchema(schema: object, value: unknown, ctx: ValidationContext, applyDefaults = false): Diagnostic[] {
  const fn = compile(schema, applyDefaults);
  if (fn(value)) return [];
  return toDiagnostics(fn.errors ?? [], value, ctx);
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

function describeValue(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  if (typeof v === 'string') return `string ${JSON.stringify(v.length > 40 ? v.slice(0, 40) + '…' : v)}`;
  return `${typeof v} ${String(v)}`;
}

function isInterpolationAlternative(e: ErrorObject): boolean {
  return e.keyword === 'pattern' && String((e.params as { pattern?: string }).pattern).includes('\\$\\{');
}

function toDiagnostics(errors: ErrorObject[], data: unknown, ctx: ValidationContext): Diagnostic[] {
  const isDeeper = (a: string, b: string) => a.startsWith(b + '/');
  // Union errors (anyOf/oneOf) say little when a more specific error exists below them.
  let list = errors.filter((e) => !((e.keyword === 'anyOf' || e.keyword === 'oneOf') && errors.some((o) => isDeeper(o.instancePath, e.instancePath))));
  const unions = list.filter((e) => e.keyword === 'anyOf' || e.keyword === 'oneOf');
  const diagnostics: Diagnostic[] = [];
  const seen = new Set<string>();
  const push = (path: KeyPath, message: string, hint?: string, atKey = false) => {
    const docPath = [...ctx.basePath, ...path];
    const srcPath = [...(ctx.sourcePath ?? ctx.basePath), ...path];
    const id = `${formatKeyPath(docPath)}\u0000${message}`;
    if (seen.has(id)) return;
    seen.add(id);
    const entry = ctx.sources.get(srcPath) ?? ctx.sources.nearest(srcPath);
    diagnostics.push({
      message: message + (ctx.suffix ? ` ${ctx.suffix}` : ''),
      keyPath: formatKeyPath(docPath),
      location: (atKey ? entry?.key : undefined) ?? entry?.value,
      includedFrom: entry?.includedFrom,
      hint,
    });
  };
  for (const union of unions) {
    const at = union.instancePath;
    const siblings = list.filter((e) => e.instancePath === at && e !== union);
    const specific = siblings.filter((e) => e.keyword !== 'type' && !isInterpolationAlternative(e));
    const path = toKeyPath(at, data);
    if (specific.length) {
      for (const e of specific) push(path, messageFor(e, data).message, messageFor(e, data).hint);
    } else {
      const types = [...new Set(siblings.filter((e) => e.keyword === 'type').map((e) => String((e.params as { type: string }).type)))];
      const interp = siblings.some(isInterpolationAlternative);
      const expected = [...types, ...(interp && !types.includes('string') ? ['a ${…} expression'] : [])].join(' or ') || 'a different value';
      push(path, `expected ${expected}, got ${describeValue(union.data)}`);
    }
    list = list.filter((e) => !(e.instancePath === at));
  }
  for (const e of list) {
    const path = toKeyPath(e.instancePath, data);
    if (e.keyword === 'additionalProperties') {
      const prop = (e.params as { additionalProperty: string }).additionalProperty;
      const allowed = Object.keys(((e.parentSchema as { properties?: object })?.properties) ?? {});
      push([...path, prop], `unknown key '${prop}'`, didYouMean(prop, allowed) ?? (allowed.length ? `expected one of: ${allowed.join(', ')}` : undefined), true);
      continue;
    }
    const { message, hint } = messageFor(e, data);
    push(path, message, hint, e.keyword === 'propertyNames');
  }
  return diagnostics;
}

function messageFor(e: ErrorObject, _data: unknown): { message: string; hint?: string } {
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'type':
      return { message: `expected ${String(p.type).replace(',', ' or ')}, got ${describeValue(e.data)}` };
    case 'required':
      return { message: `missing required key '${String(p.missingProperty)}'` };
    case 'enum': {
      const allowed = (p.allowedValues as unknown[]).map((v) => JSON.stringify(v));
      const hint = typeof e.data === 'string' ? didYouMean(e.data, (p.allowedValues as unknown[]).map(String)) : undefined;
      return { message: `expected one of ${allowed.join(', ')}, got ${describeValue(e.data)}`, hint };
    }
    case 'const':
      return { message: `expected ${JSON.stringify(p.allowedValue)}, got ${describeValue(e.data)}` };
    case 'propertyNames':
      return { message: `invalid name '${String(p.propertyName)}'`, hint: 'names start with a letter or _ and contain letters, digits, _ and -' };
    case 'minProperties':
      return { message: `expected at least ${String(p.limit)} entr${p.limit === 1 ? 'y' : 'ies'}` };
    default:
      return { message: `${e.message ?? 'invalid value'} (got ${describeValue(e.data)})` };
  }
}
