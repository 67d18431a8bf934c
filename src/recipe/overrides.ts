// Command-line overrides: -S path=value, typed by the recipe's current value or the plugin's params schema.
import { yamlLib } from '../util/yaml-lib.js';
import { didYouMean } from '../util/suggest.js';
import type { Diagnostic, SourceLocation } from './diagnostic.js';
import type { Plain } from './load.js';
import { parsePath } from './interpolate.js';
import { formatKeyPath, type SourceMap } from './source-map.js';
import { typeNames } from './validate.js';

export interface Override {
  text: string;
  path: (string | number)[];
  raw: string;
  location: SourceLocation;
  /** Where the value is written, when not right after the '=' of `text` (a sweep value in the recipe, one item of a comma list). */
  valueLocation?: SourceLocation;
  /** `raw` already read as YAML (sweep values): saves parsing it again in every trial. */
  parsed?: { value: Plain };
}

const STAGE_KEYS = ['plugin', 'description', 'params', 'inputs', 'foreach', 'repeat', 'initial', 'resources'];
const TOP_KEYS = ['name', 'description', 'vars', 'stages', 'report', 'track'];

/** Parses "-S a.b=c" arguments (the flag already removed). */
export function parseOverrides(args: string[]): { overrides: Override[]; errors: Diagnostic[] } {
  const overrides: Override[] = [];
  const errors: Diagnostic[] = [];
  for (const text of args) {
    const shown = `-S ${text}`;
    const location: SourceLocation = { file: '<command line>', line: 1, col: 4, length: text.length, text: shown };
    const eq = text.indexOf('=');
    if (eq <= 0) {
      errors.push({ message: eq === 0 ? `override '${text}' has no path before '='` : `override '${text}' has no '=': expected path=value`, location, hint: 'e.g. -S vars.seed=2 or -S stages.train.params.lr=0.001' });
      continue;
    }
    let path: (string | number)[];
    try {
      path = parsePath(text.slice(0, eq).trim());
    } catch (err) {
      const detail = /: ([^:]+)$/.exec((err as Error).message)?.[1];
      errors.push({ message: `cannot parse the override path '${text.slice(0, eq)}'${detail ? `: ${detail}` : ''}`, location: { ...location, length: eq }, hint: 'expected a dotted path such as vars.seed or stages.train.params.lr' });
      continue;
    }
    overrides.push({ text, path, raw: text.slice(eq + 1), location: { ...location, col: 4 } });
  }
  return { overrides, errors };
}

/** Finds the JSON Schema type at a path of a params schema (properties only). */
export function schemaAt(schema: Record<string, unknown>, path: (string | number)[]): { schema?: Record<string, unknown>; missing?: string; known?: string[] } {
  let cur: Record<string, unknown> | undefined = schema;
  for (const seg of path) {
    const props = cur?.properties as Record<string, Record<string, unknown>> | undefined;
    if (props && typeof seg === 'string' && seg in props) { cur = props[seg]; continue; }
    if (cur?.items && typeof seg === 'number') { cur = cur.items as Record<string, unknown>; continue; }
    if (cur?.additionalProperties && typeof cur.additionalProperties === 'object') { cur = cur.additionalProperties as Record<string, unknown>; continue; }
    if (cur?.additionalProperties === false) return { missing: String(seg), known: props ? Object.keys(props) : [] };
    return {}; // open schema: no type information
  }
  return { schema: cur };
}

/** Converts the raw text to the type the schema or the existing value wants. */
export function typedValue(raw: string, want: { schema?: Record<string, unknown>; existing?: Plain },
  read?: { value: Plain }): { value?: Plain; error?: string } {
  if (raw.includes('${')) return { value: raw };
  const types = want.schema ? schemaTypes(want.schema) : [];
  const existingType = want.existing === undefined || want.existing === null ? undefined : Array.isArray(want.existing) ? 'array' : typeof want.existing;
  const targets = types.length ? types : existingType ? [existingType === 'object' ? 'object' : existingType] : [];
  if (targets.length === 1 && targets[0] === 'string') return { value: raw };
  let parsed: Plain;
  try {
    parsed = read ? read.value : yamlLib().parse(raw) as Plain;
  } catch {
    return targets.includes('string') ? { value: raw } : { error: `cannot parse '${raw}' as YAML` };
  }
  if (!targets.length) return { value: parsed };
  const actual = parsed === null ? 'null' : Array.isArray(parsed) ? 'array' : typeof parsed === 'object' ? 'object' : typeof parsed;
  const ok = targets.some((t) => t === actual || (t === 'integer' && typeof parsed === 'number' && Number.isInteger(parsed)) || (t === 'number' && typeof parsed === 'number'));
  if (ok) return { value: parsed };
  if (targets.includes('string')) return { value: raw };
  return { error: `expected ${typeNames(targets)}, got '${raw}'` };
}

/** The JSON types a schema accepts: its `type`, the types of its enum/const values, or those of its alternatives. */
export function schemaTypes(schema: Record<string, unknown>): string[] {
  const out = new Set<string>();
  const typeOf = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v === 'object' ? 'object' : typeof v === 'number' && Number.isInteger(v) ? 'integer' : typeof v);
  if (schema.type !== undefined) for (const t of [schema.type].flat()) out.add(String(t));
  else if (Array.isArray(schema.enum)) for (const v of schema.enum) out.add(typeOf(v));
  else if ('const' in schema) out.add(typeOf(schema.const));
  for (const key of ['anyOf', 'oneOf']) {
    for (const alt of (schema[key] as Record<string, unknown>[] | undefined) ?? []) {
      // In the recipe schema a $ref alternative is the ${…} expression (a string).
      if (typeof alt.$ref === 'string') out.add('string');
      else for (const t of schemaTypes(alt)) out.add(t);
    }
  }
  // An integer is a number too: 'number' already covers it.
  if (out.has('number')) out.delete('integer');
  return [...out];
}

/** Applies overrides that do not need plugin schemas (vars, top-level sections, stage keys other than params). */
export function applyOverride(doc: Record<string, Plain>, sources: SourceMap, o: Override,
  paramsSchema?: (stage: string) => Record<string, unknown> | undefined,
  stageSchema?: Record<string, unknown>): Diagnostic | undefined {
  const eq = o.text.indexOf('=');
  const valueLocation: SourceLocation = o.valueLocation ?? { ...o.location, col: o.location.col + eq + 1, length: Math.max(1, o.raw.length) };
  const pathLocation: SourceLocation = { ...o.location, length: eq };
  const fail = (message: string, hint?: string, atValue = false): Diagnostic => ({
    message, location: atValue ? valueLocation : pathLocation, keyPath: formatKeyPath(o.path), hint });
  const [head, ...rest] = o.path;
  if (typeof head !== 'string' || !TOP_KEYS.includes(head)) {
    const fixed = head === 'include' || head === 'extends' ? `\`${head}\` cannot be overridden; ` : '';
    return fail(`unknown override path '${formatKeyPath(o.path)}': ${fixed}expected it to start with ${TOP_KEYS.map((k) => (k === 'vars' || k === 'stages' ? `${k}.` : k)).join(', ')}`, didYouMean(String(head), TOP_KEYS));
  }
  let want: { schema?: Record<string, unknown>; existing?: Plain } = {};
  if (head === 'vars') {
    const vars = (doc.vars ?? {}) as Record<string, Plain>;
    const name = rest[0];
    if (typeof name !== 'string' || !(name in vars)) return fail(`unknown variable 'vars.${String(name)}'`, didYouMean(String(name), Object.keys(vars)) ?? 'only variables defined in the recipe can be overridden');
    want = { existing: getAt(doc, o.path) };
  } else if (head === 'stages') {
    const stages = (doc.stages ?? {}) as Record<string, Plain>;
    const stage = rest[0];
    if (typeof stage !== 'string' || !(stage in stages)) return fail(`unknown stage '${String(stage)}'`, didYouMean(String(stage), Object.keys(stages)));
    const key = rest[1];
    if (typeof key !== 'string' || !STAGE_KEYS.includes(key)) return fail(`unknown stage key '${String(key)}'`, didYouMean(String(key), STAGE_KEYS) ?? `expected one of: ${STAGE_KEYS.join(', ')}`);
    if (key === 'params' && rest.length > 2) {
      const schema = paramsSchema?.(stage);
      if (schema) {
        const found = schemaAt(schema, rest.slice(2));
        if (found.missing !== undefined) return fail(`unknown param '${found.missing}' of stage '${stage}'`, didYouMean(found.missing, found.known ?? []) ?? (found.known?.length ? `expected one of: ${found.known.join(', ')}` : 'this plugin takes no params'));
        want = { schema: found.schema, existing: getAt(doc, o.path) };
      }
    } else {
      const found = stageSchema ? schemaAt(stageSchema, rest.slice(1)) : {};
      want = { schema: found.schema, existing: getAt(doc, o.path) };
    }
  } else {
    want = { existing: getAt(doc, o.path) };
  }
  const typed = typedValue(o.raw, want, o.parsed);
  if (typed.error) return fail(`bad value for '${formatKeyPath(o.path)}': ${typed.error}`, undefined, true);
  setAt(doc, o.path, typed.value as Plain);
  sources.deleteSubtree(o.path);
  sources.set(o.path, { value: valueLocation, key: pathLocation });
  return undefined;
}

function getAt(doc: Plain, path: (string | number)[]): Plain | undefined {
  let cur: Plain | undefined = doc;
  for (const seg of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string | number, Plain>)[seg];
  }
  return cur;
}

function setAt(doc: Record<string, Plain>, path: (string | number)[], value: Plain): void {
  let cur: Record<string | number, Plain> = doc;
  for (const seg of path.slice(0, -1)) {
    if (cur[seg] === null || typeof cur[seg] !== 'object' || cur[seg] === undefined) cur[seg] = {};
    cur = cur[seg] as Record<string | number, Plain>;
  }
  const last = path.at(-1);
  if (last === undefined) throw new Error('internal: an override with an empty path');
  cur[last] = value;
}
