// ${...} interpolation: vars, env, foreach items, repeat iterations and references to stage outputs.
// A string that is exactly one ${...} keeps the type of what it refers to; otherwise the parts are joined as text.
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

type Segment = { literal: string } | { expr: string; start: number };

/** Splits text into literals and ${...} expressions; nested ${} inside an expression are kept for later. */
export function splitTemplate(text: string): Segment[] {
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
      if (depth > 0) throw new InterpolationError(`unterminated '\${' at character ${i + 1}`, "close it with '}'");
      if (literal) segments.push({ literal });
      literal = '';
      segments.push({ expr: text.slice(i + 2, j - 1), start: i });
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
  if (segments.length === 1 && 'expr' in segments[0]) return evaluate(segments[0].expr, scope);
  let out = '';
  for (const seg of segments) {
    if ('literal' in seg) { out += seg.literal; continue; }
    const value = evaluate(seg.expr, scope);
    if (isStageRef(value)) throw new InterpolationError(`a stage output (\${${seg.expr}}) cannot be part of a longer string`, 'write it alone as the whole value', out);
    if (value !== null && typeof value === 'object') throw new InterpolationError(`\${${seg.expr}} is a ${Array.isArray(value) ? 'list' : 'mapping'} and cannot be embedded in a string`, 'write it alone as the whole value to keep its type', out);
    out += value === null ? 'null' : String(value);
  }
  return out;
}

/** Interpolates every string inside a value. */
export function interpolateValue(value: Plain, scope: Scope): Resolved {
  if (typeof value === 'string') return hasInterpolation(value) ? interpolateString(value, scope) : value.replaceAll('$${', '${');
  if (Array.isArray(value)) return value.map((v) => interpolateValue(v, scope));
  if (value !== null && typeof value === 'object') {
    const out: { [key: string]: Resolved } = {};
    for (const [k, v] of Object.entries(value)) out[k] = interpolateValue(v, scope);
    return out;
  }
  return value;
}

function evaluate(rawExpr: string, scope: Scope): Resolved {
  // Inner ${...} first, so ${stages.eval[${item}].outputs.x} works.
  const expr = hasInterpolation(rawExpr) ? String(interpolateString(rawExpr, scope)).trim() : rawExpr.trim();
  if (expr.startsWith('env:')) return evalEnv(expr.slice(4), scope);
  const path = parsePath(expr);
  const [head, ...rest] = path;
  switch (head) {
    case 'vars': {
      if (rest.length === 0) return scope.vars;
      const name = String(rest[0]);
      if (!(name in scope.vars)) throw new InterpolationError(`unknown variable 'vars.${name}'`, didYouMean(name, Object.keys(scope.vars)));
      return walk(scope.vars[name], rest.slice(1), `vars.${name}`);
    }
    case 'item':
      if (!scope.hasItem) throw new InterpolationError("'item' is only defined inside a stage with `foreach`");
      return walk(scope.item ?? null, rest, 'item');
    case 'iter':
    case 'iteration':
      if (scope.iteration === undefined) throw new InterpolationError(`'${head}' is only defined inside a stage with \`repeat\``);
      if (rest.length) throw new InterpolationError(`'${head}' is a number and has no fields`);
      return scope.iteration;
    case 'prev':
      if (scope.iteration === undefined) throw new InterpolationError("'prev' is only defined inside a stage with `repeat`");
      return stageRef('', undefined, rest, expr, true, scope);
    case 'stages': {
      if (!scope.stages) throw new InterpolationError('stage outputs can only be used in `inputs`', 'move this value to the stage\'s `inputs:` mapping');
      const stage = rest[0];
      if (typeof stage !== 'string') throw new InterpolationError(`expected a stage id after 'stages.' in '${expr}'`);
      if (!scope.stages.includes(stage)) throw new InterpolationError(`unknown stage '${stage}'`, didYouMean(stage, scope.stages));
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
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new InterpolationError(`'${name}' is not a valid environment variable name`);
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
      if (seg >= cur.length) throw new InterpolationError(`index ${seg} is out of range in '${label}' (length ${cur.length})`);
      cur = cur[seg];
    } else if (cur !== null && typeof cur === 'object' && !Array.isArray(cur) && typeof seg === 'string') {
      if (!(seg in cur)) throw new InterpolationError(`'${label}' has no key '${seg}'`, didYouMean(seg, Object.keys(cur)));
      cur = cur[seg];
    } else {
      throw new InterpolationError(`cannot read '${seg}' of '${label}' (a ${describe(cur)})`);
    }
    label += typeof seg === 'number' ? `[${seg}]` : `.${seg}`;
  }
  return cur;
}

function describe(v: Plain): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'list';
  return typeof v === 'object' ? 'mapping' : typeof v;
}

/** Parses a.b[0]['c d'].e into segments. */
export function parsePath(expr: string): (string | number)[] {
  const out: (string | number)[] = [];
  const re = /([A-Za-z_][\w-]*)|\[\s*(\d+)\s*\]|\[\s*(['"])(.*?)\3\s*\]|\[\s*([^\]'"]+?)\s*\]|(\.)/gy;
  let m: RegExpExecArray | null;
  let last = 0;
  while ((m = re.exec(expr)) !== null) {
    if (m[1] !== undefined) out.push(m[1]);
    else if (m[2] !== undefined) out.push(Number(m[2]));
    else if (m[4] !== undefined) out.push(m[4]);
    else if (m[5] !== undefined) out.push(m[5]);
    last = re.lastIndex;
    if (last === expr.length) break;
  }
  if (last !== expr.length || out.length === 0) throw new InterpolationError(`cannot parse '\${${expr}}'`, 'expected a name such as vars.x, item, env:NAME or stages.<id>.outputs.<port>');
  return out;
}

/** Resolves the vars section: vars may use env and other vars (no cycles). */
export function resolveVars(raw: Record<string, Plain>, env: NodeJS.ProcessEnv, onError: (name: string, err: InterpolationError) => never): Record<string, Plain> {
  const done: Record<string, Plain> = {};
  const visiting: string[] = [];
  const resolveOne = (name: string): Plain => {
    if (name in done) return done[name];
    if (visiting.includes(name)) {
      onError(visiting[0], new InterpolationError(`variables refer to each other in a cycle: ${[...visiting.slice(visiting.indexOf(name)), name].map((v) => `vars.${v}`).join(' → ')}`));
    }
    visiting.push(name);
    const lazyVars = new Proxy({} as Record<string, Plain>, {
      has: (_t, key) => typeof key === 'string' && key in raw,
      get: (_t, key) => (typeof key === 'string' && key in raw ? resolveOne(key) : undefined),
      ownKeys: () => Object.keys(raw),
      getOwnPropertyDescriptor: (_t, key) => (typeof key === 'string' && key in raw ? { enumerable: true, configurable: true, value: resolveOne(key) } : undefined),
    });
    let value: Resolved;
    try {
      value = interpolateValue(raw[name], { vars: lazyVars, env, hasItem: false });
    } catch (err) {
      if (err instanceof InterpolationError) onError(name, err);
      throw err;
    }
    visiting.pop();
    done[name] = value as Plain;
    return done[name];
  };
  for (const name of Object.keys(raw)) resolveOne(name);
  return done;
}
