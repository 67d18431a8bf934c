// Search spaces as a recipe writes them: a dimension is a call, `loguniform(1e-5, 1e-1)`,
// `int(1, 8)`, `int(16, 1024, log)`, `choice(relu, gelu)`, or the same as a one-key mapping
// (`{ loguniform: [1e-5, 1e-1] }`, `{ int: [16, 1024], log: true }`, `{ choice: [relu, gelu] }`).
// Problems come back as values naming the dimension, as validateSpace's do.
import { closest } from '../../util/suggest.js';
import { validateSpace, type ChoiceValue, type Dimension, type SearchSpace, type SpaceProblem } from './space.js';

const KINDS = ['uniform', 'loguniform', 'int', 'choice'] as const;
type Kind = (typeof KINDS)[number];

export type ParsedDimension = { dimension: Dimension } | { problem: string };

export function parseDimension(value: unknown): ParsedDimension {
  if (typeof value === 'string') return parseCall(value.trim());
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) return parseMapping(value as Record<string, unknown>);
  return { problem: `expected a dimension such as "uniform(0, 1)", "loguniform(1e-5, 1e-1)", "int(1, 8)" or "choice(a, b)", got ${JSON.stringify(value)}` };
}

/** Parses every dimension and checks the space; the space holds the dimensions that parsed. */
export function parseSpace(spec: Readonly<Record<string, unknown>>): { space: SearchSpace; problems: SpaceProblem[] } {
  const space: Record<string, Dimension> = {};
  const problems: SpaceProblem[] = [];
  for (const [name, value] of Object.entries(spec)) {
    const parsed = parseDimension(value);
    if ('problem' in parsed) problems.push({ dimension: name, message: parsed.problem });
    else space[name] = parsed.dimension;
  }
  if (problems.length === 0 || Object.keys(space).length > 0) problems.push(...validateSpace(space));
  return { space, problems };
}

function parseCall(text: string): ParsedDimension {
  const m = /^([A-Za-z_][A-Za-z0-9_]*)\s*\((.*)\)$/s.exec(text);
  if (!m) return { problem: `expected a call such as "uniform(0, 1)", got "${text}"` };
  const kind = m[1]!; // both groups always take part in a match
  if (!isKind(kind)) return { problem: unknownKind(kind) };
  const args = splitArgs(m[2]!);
  if (kind === 'choice') return build(kind, args.map(scalar), false);
  const log = kind === 'int' && args.length === 3 && args[2] === 'log';
  return build(kind, (log ? args.slice(0, 2) : args).map(scalar), log);
}

function parseMapping(spec: Record<string, unknown>): ParsedDimension {
  const kinds = Object.keys(spec).filter(isKind);
  const extra = Object.keys(spec).filter((k) => !isKind(k) && !(k === 'log' && kinds[0] === 'int'));
  const [kind] = kinds;
  if (kind === undefined || kinds.length !== 1) return { problem: kinds.length ? `give one of ${KINDS.join(', ')}, not ${kinds.join(' and ')}` : unknownKind(Object.keys(spec)[0] ?? '') };
  if (extra.length) return { problem: `unknown field "${extra[0]}" beside ${kind}${extra[0] === 'log' ? ' (log is for int; use loguniform)' : ''}` };
  const args = spec[kind];
  if (!Array.isArray(args)) return { problem: `${kind} takes a list, e.g. ${kind === 'choice' ? '[a, b]' : '[0, 1]'}` };
  if (spec.log !== undefined && typeof spec.log !== 'boolean') return { problem: 'log must be true or false' };
  return build(kind, args as unknown[], spec.log === true);
}

function build(kind: Kind, args: unknown[], log: boolean): ParsedDimension {
  if (kind === 'choice') {
    const bad = args.find((a) => a !== null && !['string', 'number', 'boolean'].includes(typeof a));
    if (bad !== undefined) return { problem: `choice values must be strings, numbers, booleans or null, got ${JSON.stringify(bad)}` };
    return { dimension: { kind, values: args as ChoiceValue[] } };
  }
  if (args.length !== 2) return { problem: `${kind} takes two bounds (lo, hi)${kind === 'int' ? ' and optionally log' : ''}, got ${args.length} argument${args.length === 1 ? '' : 's'}` };
  const [lo, hi] = args;
  if (typeof lo !== 'number' || typeof hi !== 'number') return { problem: `${kind} bounds must be numbers, got (${JSON.stringify(lo)}, ${JSON.stringify(hi)})` };
  return { dimension: kind === 'int' ? { kind, lo, hi, ...(log ? { log: true } : {}) } : { kind, lo, hi } };
}

function isKind(word: string): word is Kind {
  return (KINDS as readonly string[]).includes(word);
}

function unknownKind(word: string): string {
  // Other libraries' names for the same kinds (hyperopt's randint, Optuna's categorical…), then spelling.
  const alias: Record<string, Kind> = { randint: 'int', integer: 'int', categorical: 'choice', log: 'loguniform', float: 'uniform' };
  const near = alias[word] ?? closest(word, KINDS);
  const hint = near ? `; did you mean "${near}"?` : '';
  return `unknown dimension kind "${word}" (${KINDS.join(', ')})${hint}`;
}

/** Splits on commas outside quotes; an empty argument list is no arguments. */
function splitArgs(text: string): string[] {
  if (text.trim() === '') return [];
  const out: string[] = [];
  let current = '';
  let quote: string | undefined;
  for (const ch of text) {
    if (quote) { current += ch; if (ch === quote) quote = undefined; continue; }
    if (ch === '"' || ch === "'") { quote = ch; current += ch; continue; }
    if (ch === ',') { out.push(current.trim()); current = ''; continue; }
    current += ch;
  }
  out.push(current.trim());
  return out;
}

/** A call argument: a number, true/false/null, a quoted string, or a bare word kept as a string. */
function scalar(text: string): ChoiceValue {
  if (/^(['"]).*\1$/s.test(text)) return text.slice(1, -1);
  if (text === 'true' || text === 'false') return text === 'true';
  if (text === 'null') return null;
  const n = Number(text);
  return text !== '' && Number.isFinite(n) ? n : text;
}
