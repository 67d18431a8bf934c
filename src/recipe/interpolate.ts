// ${...} interpolation: vars, env, foreach items, repeat iterations and references to stage outputs.
// A string that is exactly one ${...} keeps the type of what it refers to; otherwise the parts are joined as text.
import { isSecretVar, SECRET_VARS_VAR } from '../util/secrets.js';
import { didYouMean } from '../util/suggest.js';
import type { Plain } from './load.js';

/** A reference to an output port of another stage (or of the previous iteration of this one). */
export interface StageRef {
  kind: 'stage-ref';
  stage: string;
  /** Which instance: a foreach item key or a repeat iteration; undefined means "the whole stage". */
  selector?: string | number;
  port: string;
  /** Written as ${prev.outputs.port} inside a repeated stage. */
  prev?: boolean;
  /** The text as written, for messages. */
  text: string;
}

export type Resolved = Plain | StageRef | Resolved[] | { [key: string]: Resolved };

export interface Scope {
  vars: Record<string, Plain>;
  env: NodeJS.ProcessEnv;
  item?: Plain;
  hasItem: boolean;
  iteration?: number;
  /** Stage ids known to the recipe (for suggestions). Stage references are allowed only when set. */
  stages?: string[];
}

export class InterpolationError extends Error {
  /** Which part of the raw text is wrong (offsets into the string as written), for a precise caret. */
  span?: { start: number; length: number };
  /** Where inside the interpolated value the bad string sits (keys and indexes), for its location. */
  path: (string | number)[] = [];
  constructor(message: string, readonly hint?: string, readonly partial?: string) {
    super(message);
  }
}

export function isStageRef(value: unknown): value is StageRef {
  return typeof value === 'object' && value !== null && (value as StageRef).kind === 'stage-ref';
}

export function hasInterpolation(text: string): boolean {
  return text.includes('${');
}

type Segment = { literal: string } | { expr: string; start: number; end: number };

// A recipe repeats few templates over many nodes (a foreach stage's params and inputs): split each once.
// Bounded so that texts made per node (inner expressions after their own interpolation) cannot pile up.
const splitCache = new Map<string, readonly Segment[]>();
const SPLIT_CACHE_SIZE = 4096;

/** Splits text into literals and ${...} expressions; nested ${} inside an expression are kept for later. */
export function splitTemplate(text: string): readonly Segment[] {
  let segments = splitCache.get(text);
  if (!segments) {
    segments = splitTemplateNow(text);
    if (splitCache.size >= SPLIT_CACHE_SIZE) splitCache.clear();
    splitCache.set(text, segments);
  }
  return segments;
}

function splitTemplateNow(text: string): Segment[] {
  const segments: Segment[] = [];
  let literal = '';
  let i = 0;
  while (i < text.length) {
    if (text.startsWith('$${', i)) { literal += '${'; i += 3; continue; }
    if (text.startsWith('${', i)) {
      let depth = 1;
      let j = i + 2;
      while (j < text.length && depth > 0) {
        if (text.startsWith('${', j)) { depth++; j += 2; continue; }
        if (text[j] === '}') depth--;
        j++;
      }
      if (depth > 0) {
        const err = new InterpolationError("unterminated '${': expected a closing '}'", "close it with '}', or write '$${' for a literal '${'");
        err.span = { start: i, length: text.length - i };
        throw err;
      }
      if (literal) segments.push({ literal });
      literal = '';
      segments.push({ expr: text.slice(i + 2, j - 1), start: i, end: j });
      i = j;
      continue;
    }
    literal += text[i++];
  }
  if (literal || segments.length === 0) segments.push({ literal });
  return segments;
}

/** Interpolates one string. */
export function interpolateString(text: string, scope: Scope): Resolved {
  const segments = splitTemplate(text);
  const only = segments.length === 1 ? segments[0] : undefined;
  if (only && 'expr' in only) return atSegment(only, () => evaluate(only.expr, scope));
  let out = '';
  for (const seg of segments) {
    if ('literal' in seg) { out += seg.literal; continue; }
    const value = atSegment(seg, () => evaluate(seg.expr, scope));
    const fail = (message: string, hint: string): never => atSegment(seg, () => { throw new InterpolationError(message, hint, out); });
    if (isStageRef(value)) fail(`a stage output (\${${seg.expr}}) cannot be part of a longer string`, 'expected the reference alone as the whole value of an input');
    if (value !== null && typeof value === 'object') fail(`\${${seg.expr}} is a ${Array.isArray(value) ? 'list' : 'mapping'} and cannot be embedded in a string`, 'expected a string, number or boolean here; write the reference alone as the whole value to keep its type');
    out += value === null ? 'null' : String(value);
  }
  return out;
}

/** Runs fn, marking interpolation errors that do not know their span yet with the segment's. */
function atSegment<T>(seg: { start: number; end: number }, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof InterpolationError && !err.span) err.span = { start: seg.start, length: seg.end - seg.start };
    throw err;
  }
}

/** Interpolates every string inside a value. */
export function interpolateValue(value: Plain, scope: Scope): Resolved {
  if (typeof value === 'string') return hasInterpolation(value) ? interpolateString(value, scope) : value.replaceAll('$${', '${');
  if (Array.isArray(value)) return value.map((v, i) => within(i, () => interpolateValue(v, scope)));
  if (value !== null && typeof value === 'object') {
    const out: { [key: string]: Resolved } = {};
    for (const [k, v] of Object.entries(value)) out[k] = within(k, () => interpolateValue(v, scope));
    return out;
  }
  return value;
}

function within<T>(key: string | number, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof InterpolationError) err.path.unshift(key);
    throw err;
  }
}

function evaluate(rawExpr: string, scope: Scope): Resolved {
  // Inner ${...} first, so ${stages.eval[${item}].outputs.x} works.
  let expr: string;
  try {
    expr = hasInterpolation(rawExpr) ? String(interpolateString(rawExpr, scope)).trim() : rawExpr.trim();
  } catch (err) {
    // The inner span is relative to the expression: let the enclosing ${…} mark the place instead.
    if (err instanceof InterpolationError) err.span = undefined;
    throw err;
  }
  if (expr.startsWith('env:')) return evalEnv(expr.slice(4), scope);
  const path = parsePath(expr);
  const [head, ...rest] = path;
  switch (head) {
    case 'vars': {
      if (rest.length === 0) return { ...scope.vars };
      const name = String(rest[0]);
      if (!(name in scope.vars)) throw new InterpolationError(`unknown variable 'vars.${name}'`, didYouMean(name, Object.keys(scope.vars)) ?? expectedOneOf(Object.keys(scope.vars), 'the recipe has no `vars`'));
      return walk(scope.vars[name]!, rest.slice(1), `vars.${name}`); // present: checked with `in`
    }
    case 'item':
      if (!scope.hasItem) throw new InterpolationError("'item' is only defined inside a stage with `foreach`", 'expected `foreach:` on this stage, or a value that does not depend on the item');
      return walk(scope.item ?? null, rest, 'item');
    case 'iter':
    case 'iteration':
      if (scope.iteration === undefined) throw new InterpolationError(`'${head}' is only defined inside a stage with \`repeat\``, 'expected `repeat:` on this stage');
      if (rest.length) throw new InterpolationError(`'${head}' is a number and has no fields`);
      return scope.iteration;
    case 'prev':
      if (scope.iteration === undefined) throw new InterpolationError("'prev' is only defined inside a stage with `repeat`", 'expected `repeat:` on this stage, or ${stages.<id>.outputs.<port>} for another stage');
      return stageRef('', undefined, rest, expr, true, scope);
    case 'stages': {
      if (!scope.stages) throw new InterpolationError('stage outputs can only be used in `inputs`', 'expected a value known before anything runs (vars, env, item, iter); pass the output through `inputs:` instead');
      const stage = rest[0];
      if (typeof stage !== 'string') throw new InterpolationError(`expected a stage id after 'stages.' in '${expr}'`);
      if (!scope.stages.includes(stage)) throw new InterpolationError(`unknown stage '${stage}'`, didYouMean(stage, scope.stages) ?? expectedOneOf(scope.stages, 'the recipe has no stages'));
      const selector = rest[1] !== undefined && rest[1] !== 'outputs' ? rest[1] : undefined;
      return stageRef(stage, selector, rest.slice(selector === undefined ? 1 : 2), expr, false, scope);
    }
    default:
      throw new InterpolationError(`unknown name '${String(head)}' in '\${${expr}}'`, didYouMean(String(head), ['vars', 'env:', 'item', 'iter', 'prev', 'stages']) ?? 'expected vars.<name>, env:<NAME>, item, iter, prev.outputs.<port> or stages.<id>.outputs.<port>');
  }
}

function stageRef(stage: string, selector: string | number | undefined, rest: (string | number)[], text: string, prev: boolean, scope: Scope): StageRef {
  if (rest[0] !== 'outputs' || typeof rest[1] !== 'string' || rest.length !== 2) {
    throw new InterpolationError(`expected '${prev ? 'prev' : `stages.${stage}`}.outputs.<port>', got '${text}'`);
  }
  if (!prev && !scope.stages) throw new InterpolationError('stage outputs can only be used in `inputs`');
  return { kind: 'stage-ref', stage, selector, port: rest[1], prev: prev || undefined, text };
}

function evalEnv(spec: string, scope: Scope): string {
  const comma = spec.indexOf(',');
  const name = (comma < 0 ? spec : spec.slice(0, comma)).trim();
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new InterpolationError(`'${name}' is not a valid environment variable name`, 'expected ${env:NAME} or ${env:NAME,default}, NAME made of letters, digits and _');
  // A secret would land in keys, manifests and MLflow params: plugins read it through their declared env.
  if (isSecretVar(name, scope.env)) throw new InterpolationError(`${name} is a secret (${SECRET_VARS_VAR} or a known credential) and cannot be interpolated into the recipe`, `declare it in the plugin's env (env: [${name}]) and read it there`);
  const value = scope.env[name];
  if (value !== undefined) return value;
  if (comma >= 0) return spec.slice(comma + 1);
  throw new InterpolationError(`environment variable ${name} is not set`, `set it, or give a default: \${env:${name},<default>}`);
}

function walk(value: Plain, rest: (string | number)[], name: string): Plain {
  let cur = value;
  let label = name;
  for (const seg of rest) {
    if (Array.isArray(cur) && typeof seg === 'number') {
      if (seg >= cur.length) throw new InterpolationError(`index ${seg} is out of range in '${label}' (length ${cur.length})`, cur.length ? `expected an index from 0 to ${cur.length - 1}` : `'${label}' is an empty list`);
      cur = cur[seg]!; // in range: checked above
    } else if (cur !== null && typeof cur === 'object' && !Array.isArray(cur) && typeof seg === 'string') {
      if (!(seg in cur)) throw new InterpolationError(`'${label}' has no key '${seg}'`, didYouMean(seg, Object.keys(cur)) ?? expectedOneOf(Object.keys(cur), `'${label}' is an empty mapping`));
      cur = cur[seg]!; // present: checked with `in`
    } else {
      throw new InterpolationError(`cannot read '${seg}' of '${label}' (a ${describe(cur)})`, typeof seg === 'number' ? `expected '${label}' to be a list` : `expected '${label}' to be a mapping`);
    }
    label += typeof seg === 'number' ? `[${seg}]` : `.${seg}`;
  }
  return cur;
}

function expectedOneOf(names: string[], none: string): string {
  return names.length ? `expected one of: ${names.join(', ')}` : none;
}

function describe(v: Plain): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'list';
  return typeof v === 'object' ? 'mapping' : typeof v;
}

/** Parses a.b[0]['c d'][key].e into segments; anything else (a.b..c, a[, a b) is an error that says where. */
export function parsePath(expr: string): (string | number)[] {
  const out: (string | number)[] = [];
  const namePattern = /[A-Za-z_][\w-]*/y;
  let i = 0;
  const fail = (what: string): never => {
    throw new InterpolationError(`cannot parse '\${${expr}}': ${what} at character ${i + 1}`, 'expected a name such as vars.x, item, iter, env:NAME, prev.outputs.<port> or stages.<id>.outputs.<port>');
  };
  const readName = (after: string) => {
    namePattern.lastIndex = i;
    const m = namePattern.exec(expr);
    if (!m) fail(`expected a name${after}`);
    out.push(m![0]);
    i = namePattern.lastIndex;
  };
  if (expr.length === 0) fail('expected a name, got nothing');
  readName('');
  while (i < expr.length) {
    if (expr[i] === '.') { i++; readName(" after '.'"); continue; }
    if (expr[i] === '[') {
      const close = expr.indexOf(']', i);
      if (close < 0) fail("expected a closing ']'");
      const inner = expr.slice(i + 1, close).trim();
      if (/^\d+$/.test(inner)) out.push(Number(inner));
      else if (/^(['"]).*\1$/.test(inner)) out.push(inner.slice(1, -1));
      else if (inner !== '' && !/['"]/.test(inner)) out.push(inner);
      else fail('expected an index, a quoted key or an item key inside [ ]');
      i = close + 1;
      continue;
    }
    fail(`unexpected '${expr[i]}'`);
  }
  return out;
}

/** Resolves the vars section: vars may use env and other vars (no cycles). */
export function resolveVars(raw: Record<string, Plain>, env: NodeJS.ProcessEnv,
  onError: (name: string, err: InterpolationError) => never): Record<string, Plain> {
  const done: Record<string, Plain> = {};
  const visiting: string[] = [];
  // The chain being resolved, as a set too: long chains of vars must not cost their square.
  const onChain = new Set<string>();
  const resolveOne = (name: string): Plain => {
    if (name in done) return done[name]!;
    if (onChain.has(name)) {
      onError(visiting[0]!, new InterpolationError(`variables refer to each other in a cycle: ${[...visiting.slice(visiting.indexOf(name)), name].map((v) => `vars.${v}`).join(' → ')}`));
    }
    visiting.push(name);
    onChain.add(name);
    const lazyVars = new Proxy({} as Record<string, Plain>, {
      has: (_t, key) => typeof key === 'string' && key in raw,
      get: (_t, key) => (typeof key === 'string' && key in raw ? resolveOne(key) : undefined),
      ownKeys: () => Object.keys(raw),
      // Listing names (for "did you mean") must not resolve them: that could report a false cycle.
      getOwnPropertyDescriptor: (_t, key) => (typeof key === 'string' && key in raw ? { enumerable: true, configurable: true, writable: false, value: undefined } : undefined),
    });
    let value: Resolved;
    try {
      value = interpolateValue(raw[name]!, { vars: lazyVars, env, hasItem: false });
    } catch (err) {
      if (err instanceof InterpolationError) onError(name, err);
      throw err;
    }
    visiting.pop();
    onChain.delete(name);
    done[name] = value as Plain;
    return done[name];
  };
  for (const name of Object.keys(raw)) resolveOne(name);
  return done;
}
