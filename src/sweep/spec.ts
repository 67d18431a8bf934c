// A sweep's axes, read from the recipe's `sweep:` block and from `-m -S path=a,b,c`: every value
// becomes an override of the same kind `-S` makes, located where it is written.
import type { Diagnostic, SourceLocation } from '../recipe/diagnostic.js';
import { parsePath } from '../recipe/interpolate.js';
import type { Plain } from '../recipe/load.js';
import { parseOverrides, type Override } from '../recipe/overrides.js';
import { formatKeyPath, type KeyPath, type SourceMap } from '../recipe/source-map.js';
import type { SweepDoc } from '../graph/recipe-schema.js';
import { canonicalJson } from '../util/canonical.js';
import { functionCall, rangeValues, readValue, splitTopLevel, unquote } from './values.js';

/** One value an axis sets, ready to apply as an override. */
export interface Setting { path: string; value: Plain; override: Override }

export interface GridAxis { path: string; values: Setting[]; from: 'recipe' | 'command line'; keyLocation: SourceLocation }

export interface Variant { name: string; settings: Setting[] }

export type Distribution =
  | { kind: 'uniform' | 'loguniform'; low: number; high: number }
  | { kind: 'int'; low: number; high: number }
  | { kind: 'choice'; values: Plain[] };

export interface RandomAxis { path: string; parsedPath: (string | number)[]; dist: Distribution; keyLocation: SourceLocation; valueLocation: SourceLocation }

export interface SweepSpec {
  grid: GridAxis[];
  variants: Variant[];
  random?: { budget: number; seed: number; axes: RandomAxis[] };
}

/** The spec as plain data: what the sweep id hashes, what the runs folder keeps, what a change report compares. */
export interface SpecSummary {
  grid: Record<string, Plain[]>;
  variants: { name: string; set: Record<string, Plain> }[];
  random?: { budget: number; seed: number; space: Record<string, Plain> };
}

export function summarize(spec: SweepSpec): SpecSummary {
  const out: SpecSummary = {
    grid: Object.fromEntries(spec.grid.map((a) => [a.path, a.values.map((s) => s.value)])),
    variants: spec.variants.map((v) => ({ name: v.name, set: Object.fromEntries(v.settings.map((s) => [s.path, s.value])) })),
  };
  if (spec.random) {
    out.random = {
      budget: spec.random.budget,
      seed: spec.random.seed,
      space: Object.fromEntries(spec.random.axes.map((a) => [a.path, a.dist as unknown as Plain])),
    };
  }
  return out;
}

/** The -S arguments of `-m`: comma lists and range()/choice() become grid axes; the rest stay fixed overrides. */
export function commandLineAxes(sets: string[]): { fixed: string[]; axes: GridAxis[]; errors: Diagnostic[] } {
  const fixed: string[] = [];
  const axes: GridAxis[] = [];
  const errors: Diagnostic[] = [];
  for (const text of sets) {
    const eq = text.indexOf('=');
    const raw = eq > 0 ? text.slice(eq + 1) : '';
    const call = functionCall(raw);
    const pieces = splitTopLevel(raw);
    const isAxis = eq > 0 && ((call && (call.name === 'range' || call.name === 'choice')) || pieces.length > 1);
    if (!isAxis) {
      // Quoting keeps a literal comma: -m -S 'label="a,b"' sets the string a,b.
      fixed.push(eq > 0 ? `${text.slice(0, eq)}=${unquote(raw)}` : text);
      continue;
    }
    const parsed = parseOverrides([text]);
    if (parsed.errors.length) { errors.push(...parsed.errors); continue; }
    const base = parsed.overrides[0]!; // one text without errors gives one override
    const valueCol = base.location.col + eq + 1;
    const at = (p: { text: string; start: number }): SourceLocation => ({ ...base.location, col: valueCol + p.start, length: Math.max(1, p.text.length) });
    const path = formatKeyPath(base.path);
    const items = call && (call.name === 'range' || call.name === 'choice') ? callItems(call, raw, at, errors) : pieces.map((p) => {
      if (p.text === '') errors.push({ message: `empty value in the comma list of '${path}'`, location: at(p), keyPath: path, hint: 'expected values between the commas, e.g. -S vars.seed=1,2,3' });
      return { raw: unquote(p.text), location: at(p) };
    });
    if (!items) continue;
    const values = items.map((item) => {
      const value = readValue(item.raw);
      return { path, value, override: { ...base, raw: item.raw, valueLocation: item.location, parsed: { value } } };
    });
    axes.push({ path, values, from: 'command line', keyLocation: { ...base.location, length: eq } });
  }
  return { fixed, axes, errors };
}

function callItems(
  call: NonNullable<ReturnType<typeof functionCall>>,
  raw: string,
  at: (p: { text: string; start: number }) => SourceLocation,
  errors: Diagnostic[],
) {
  const whole = at({ text: raw, start: 0 });
  if (call.name === 'choice') {
    if (!call.args.length) { errors.push({ message: 'choice() is empty', location: whole, hint: 'expected at least one value, e.g. choice(adam, sgd)' }); return undefined; }
    return call.args.map((p) => ({ raw: unquote(p.text), location: at(p) }));
  }
  const numbers = call.args.map((p) => readValue(p.text));
  if (numbers.some((n) => typeof n !== 'number')) { errors.push({ message: `range takes numbers, got ${raw}`, location: whole, hint: 'e.g. range(0, 1, 0.25)' }); return undefined; }
  const r = rangeValues(numbers as number[]);
  if ('error' in r) { errors.push({ message: r.error, location: whole, hint: r.hint }); return undefined; }
  return r.values.map((v) => ({ raw: String(v), location: whole }));
}

/** Reads the recipe's `sweep:` block (already checked against the schema) into axes. */
export function recipeAxes(block: SweepDoc, sources: SourceMap, fallback: SourceLocation): { spec: SweepSpec; errors: Diagnostic[] } {
  const errors: Diagnostic[] = [];
  const where = (path: KeyPath) => sources.get(path) ?? sources.nearest(path);
  const keyAt = (path: KeyPath) => where(path)?.key ?? where(path)?.value ?? fallback;
  const valueAt = (path: KeyPath) => where(path)?.value ?? fallback;
  const fail = (path: KeyPath, message: string, hint?: string, atKey = false) => {
    errors.push({ message, location: atKey ? keyAt(path) : valueAt(path), keyPath: formatKeyPath(path), hint, includedFrom: where(path)?.includedFrom });
  };
  /** An override path written as a key of grid, set or space. */
  const overridePath = (at: KeyPath, text: string): (string | number)[] | undefined => {
    try {
      return parsePath(text.trim());
    } catch {
      fail(at, `cannot parse the sweep path '${text}'`, 'expected a dotted override path such as vars.seed or stages.train.params.lr', true);
      return undefined;
    }
  };
  const setting = (at: KeyPath, pathText: string, parsed: (string | number)[], value: Plain, valueAt: SourceLocation): Setting => {
    const raw = typeof value === 'string' ? value : JSON.stringify(value);
    const location = { ...keyAt(at), length: pathText.length };
    return { path: formatKeyPath(parsed), value, override: { text: `${pathText}=${raw}`, path: parsed, raw, location, valueLocation: valueAt, parsed: { value } } };
  };

  const grid: GridAxis[] = [];
  for (const [pathText, axis] of Object.entries(block.grid ?? {})) {
    const at = ['sweep', 'grid', pathText];
    const parsed = overridePath(at, pathText);
    if (!parsed) continue;
    const values = axisValues(axis as Plain, at, valueAt, fail);
    if (!values) continue;
    grid.push({
      path: formatKeyPath(parsed), from: 'recipe', keyLocation: keyAt(at),
      values: values.map((v) => setting(at, pathText, parsed, v.value, v.location)),
    });
  }

  const variants: Variant[] = [];
  const names = new Set<string>();
  (block.variants ?? []).forEach((variant, i) => {
    if (names.has(variant.name)) fail(['sweep', 'variants', i, 'name'], `two variants are named '${variant.name}'`, 'expected a different name for each variant');
    names.add(variant.name);
    const settings: Setting[] = [];
    for (const [pathText, value] of Object.entries(variant.set)) {
      const at = ['sweep', 'variants', i, 'set', pathText];
      const parsed = overridePath(at, pathText);
      if (parsed) settings.push(setting(at, pathText, parsed, value as Plain, valueAt(at)));
    }
    variants.push({ name: variant.name, settings });
  });

  let random: SweepSpec['random'];
  if (block.random) {
    const axes: RandomAxis[] = [];
    for (const [pathText, written] of Object.entries(block.random.space)) {
      const at = ['sweep', 'random', 'space', pathText];
      const parsed = overridePath(at, pathText);
      if (!parsed) continue;
      const dist = distribution(written as Plain, at, fail);
      if (dist) axes.push({
        path: formatKeyPath(parsed),
        parsedPath: parsed,
        dist,
        keyLocation: { ...keyAt(at), length: pathText.length },
        valueLocation: valueAt(at),
      });
    }
    random = { budget: block.random.budget, seed: block.random.seed ?? 0, axes };
  }
  return { spec: { grid, variants, random }, errors };
}

type Fail = (path: KeyPath, message: string, hint?: string, atKey?: boolean) => void;

function axisValues(axis: Plain, at: KeyPath, valueAt: (p: KeyPath) => SourceLocation, fail: Fail): { value: Plain; location: SourceLocation }[] | undefined {
  let values: Plain[];
  let itemPaths = true;
  if (Array.isArray(axis)) values = axis;
  else if (typeof axis === 'string') {
    const call = functionCall(axis)!;
    itemPaths = false;
    if (call.name === 'choice') values = call.args.map((p) => readValue(p.text));
    else {
      const r = rangeOf(call.args.map((p) => readValue(p.text)), at, fail);
      if (!r) return undefined;
      values = r;
    }
  } else {
    const form = axis as { range?: Plain[]; choice?: Plain[] };
    if (form.choice) { values = form.choice; at = [...at, 'choice']; } else {
      itemPaths = false;
      const r = rangeOf(form.range ?? [], [...at, 'range'], fail);
      if (!r) return undefined;
      values = r;
    }
  }
  if (!values.length) { fail(at, 'this sweep axis has no values', 'expected at least one value, e.g. [1, 2, 3]'); return undefined; }
  const seen = new Map<string, number>();
  let ok = true;
  values.forEach((v, i) => {
    const id = canonicalJson(v);
    if (seen.has(id)) { fail(itemPaths ? [...at, i] : at, `value ${JSON.stringify(v)} appears twice in this sweep axis (items ${seen.get(id)} and ${i})`, 'expected each value once: a repeated value would repeat its trials'); ok = false; }
    seen.set(id, i);
  });
  return ok ? values.map((value, i) => ({ value, location: valueAt(itemPaths ? [...at, i] : at) })) : undefined;
}

function rangeOf(args: Plain[], at: KeyPath, fail: Fail): number[] | undefined {
  if (args.some((n) => typeof n !== 'number')) { fail(at, 'range takes numbers', 'e.g. range(0, 1, 0.25)'); return undefined; }
  const r = rangeValues(args as number[]);
  if ('error' in r) { fail(at, r.error, r.hint); return undefined; }
  return r.values;
}

function distribution(written: Plain, at: KeyPath, fail: Fail): Distribution | undefined {
  let kind: string;
  let args: Plain[];
  if (typeof written === 'string') {
    const call = functionCall(written)!;
    kind = call.name;
    args = call.args.map((p) => readValue(p.text));
  } else {
    [kind, args] = Object.entries(written as Record<string, Plain[]>)[0]!; // a mapping of one key (checked where it was read)
  }
  if (kind === 'choice') {
    if (!args.length) { fail(at, 'choice() is empty', 'expected at least one value'); return undefined; }
    return { kind, values: args };
  }
  const [low, high] = args as number[];
  if (args.length !== 2 || typeof low !== 'number' || typeof high !== 'number') { fail(at, `${kind} takes two numbers, low and high`, `e.g. ${kind}(1, 10)`); return undefined; }
  if (!(low < high) && !(kind === 'int' && low === high)) { fail(at, `${kind}(${low}, ${high}) is empty`, 'expected low < high'); return undefined; }
  if (kind === 'loguniform' && low <= 0) { fail(at, `loguniform needs low > 0, got ${low}`, 'expected both bounds above 0, e.g. loguniform(1e-5, 1e-2)'); return undefined; }
  if (kind === 'int' && (!Number.isInteger(low) || !Number.isInteger(high))) { fail(at, `int takes integer bounds, got ${low} and ${high}`); return undefined; }
  return { kind: kind as 'uniform' | 'loguniform' | 'int', low, high };
}
