// Command-line overrides: -S path=value, typed by the recipe's current value or the plugin's params schema.
import { parse as parseYamlText } from 'yaml';
import { didYouMean } from '../util/suggest.js';
import type { Diagnostic, SourceLocation } from './diagnostic.js';
import type { Plain } from './load.js';
import { parsePath } from './interpolate.js';
import type { SourceMap } from './source-map.js';

export interface Override {
  text: string;
  path: (string | number)[];
  raw: string;
  location: SourceLocation;
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
      errors.push({ message: `override '${text}' must look like path=value`, location, hint: 'e.g. -S vars.seed=2 or -S stages.train.params.lr=0.001' });
      continue;
    }
    let path: (string | number)[];
    try {
      path = parsePath(text.slice(0, eq).trim());
    } catch {
      errors.push({ message: `cannot parse the override path '${text.slice(0, eq)}'`, location: { ...location, length: eq } });
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
    if (props || cur?.additionalProperties === false) return { missing: String(seg), known: props ? Object.keys(props) : [] };
    return {}; // open schema: no type information
  }
  return { schema: cur };
}

/** Converts the raw text to the type the schema or the existing value wants. */
export function typedValue(raw: string, want: { schema?: Record<string, unknown>; existing?: Plain }): { value?: Plain; error?: string } {
  if (raw.includes('${')) return { value: raw };
  const types = want.schema ? [want.schema.type].flat().filter(Boolean).map(String) : [];
  const existingType = want.existing === undefined || want.existing === null ? undefined : Array.isArray(want.existing) ? 'array' : typeof want.existing;
  const targets = types.length ? types : existingType ? [existingType === 'object' ? 'object' : existingType] : [];
  if (targets.length === 1 && targets[0] === 'string') return { value: raw };
  let parsed: Plain;
  try {
    parsed = parseYamlText(raw) as Plain;
  } catch {
    return targets.includes('string') ? { value: raw } : { error: `cannot parse '${raw}' as YAML` };
  }
  if (!targets.length) return { value: parsed };
  const actual = parsed === null ? 'null' : Array.isArray(parsed) ? 'array' : typeof parsed === 'object' ? 'object' : typeof parsed;
  const ok = targets.some((t) => t === actual || (t === 'integer' && typeof parsed === 'number' && Number.isInteger(parsed)) || (t === 'number' && typeof parsed === 'number'));
  if (ok) return { value: parsed };
  if (targets.includes('string')) return { value: raw };
  return { error: `expected ${targets.join(' or ')}, got '${raw}'` };
}

/** Applies overrides that do not need plugin schemas (vars, top-level sections, stage keys other than params). */
export function applyOverride(doc: Record<string, Plain>, sources: SourceMap, o: Override, paramsSchema?: (stage: string) => Record<string, unknown> | undefined): Diagnostic | undefined {
  const fail = (message: string, hint?: string): Diagnostic => ({ message, location: o.location, keyPath: o.path.join('.'), hint });
  const [head, ...rest] = o.path;
  if (typeof head !== 'string' || !TOP_KEYS.includes(head)) return fail(`unknown override path '${o.path.join('.')}'`, didYouMean(String(head), TOP_KEYS));
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
    if (typeof key !== 'string' || !STAGE_KEYS.includes(key)) return fail(`unknown stage key '${String(key)}'`, didYouMean(String(key), STAGE_KEYS));
    if (key === 'params' && rest.length > 2) {
      const schema = paramsSchema?.(stage);
      if (schema) {
        const found = schemaAt(schema, rest.slice(2));
        if (found.missing !== undefined) return fail(`unknown param '${found.missing}' of stage '${stage}'`, didYouMean(found.missing, found.known ?? []) ?? (found.known?.length ? `params are: ${found.known.join(', ')}` : undefined));
        want = { schema: found.schema, existing: getAt(doc, o.path) };
      }
    } else {
      want = { existing: getAt(doc, o.path) };
    }
  } else {
    want = { existing: getAt(doc, o.path) };
  }
  const typed = typedValue(o.raw, want);
  if (typed.error) return fail(`bad value for '${o.path.join('.')}': ${typed.error}`);
  setAt(doc, o.path, typed.value as Plain);
  sources.deleteSubtree(o.path);
  sources.set(o.path, { value: { ...o.location, col: 4 + o.text.indexOf('=') + 1, length: o.raw.length }, key: o.location });
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
  cur[path[path.length - 1]] = value;
}
