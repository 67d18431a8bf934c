// Argument parsing shared by the sub-commands: node's parseArgs, with usage errors as values.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { closest } from '../util/suggest.js';

export class UsageError extends Error {}

type Options = NonNullable<ParseArgsConfig['options']>;

export const RECIPE_OPTIONS = {
  set: { type: 'string', short: 'S', multiple: true },
  'runs-dir': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies Options;

/** `-m`/`--sweep` (run and plan): comma lists of -S values are sweep axes, as Hydra's multirun. */
export const SWEEP_OPTION = {
  sweep: { type: 'boolean', short: 'm' },
} as const satisfies Options;

/** The positionals a command asked for at least `min` of, typed so that those need no check. */
type Positionals<M extends number> = M extends 2 ? [string, string, ...string[]] : M extends 1 ? [string, ...string[]] : string[];

/**
 * Parses a command's arguments. With `--help` the count is not checked (every command prints its
 * help and returns before it reads a positional), otherwise at least `min` positionals are there.
 */
export function parse<O extends Options, M extends 0 | 1 | 2>(args: string[], options: O, positionals: { min: M; max: number; names: string }) {
  let parsed;
  try {
    parsed = parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (err) {
    const e = err as Error & { code?: string };
    if (e.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') throw new UsageError(unknownOptionText(e.message, options));
    throw new UsageError(e.message.replace(/^TypeError \[[A-Z_]+\]: /, ''));
  }
  const values = parsed.values as { help?: boolean };
  if (!values.help && (parsed.positionals.length < positionals.min || parsed.positionals.length > positionals.max)) {
    throw new UsageError(`expected ${positionals.names}`);
  }
  return { ...parsed, positionals: parsed.positionals as Positionals<M> };
}

/** Node's text has an unbalanced quote and no hint; ours names the option and the closest known one. */
function unknownOptionText(nodeMessage: string, options: Options): string {
  const option = /Unknown option '([^']+)'/.exec(nodeMessage)?.[1] ?? '?';
  // Snakemake's and make's habit: a dry run is `retort plan` here.
  if (option === '-n' || option === '--dry-run') return `unknown option '${option}'; did you mean \`retort plan\`? (it shows what would run, and why, without running anything)`;
  const known = Object.entries(options).flatMap(([long, spec]) => [`--${long}`, ...(spec.short ? [`-${spec.short}`] : [])]);
  const near = closest(option.split('=')[0] ?? option, known.filter((k) => k.startsWith('--')));
  return `unknown option '${option}'${near ? `; did you mean '${near}'?` : ''}`;
}

export function intOption(value: string | undefined, name: string, min = 1): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new UsageError(`--${name} expects an integer ≥ ${min}, got '${value}'`);
  return n;
}

/** Parses 30d, 12h, 15m, 45s into milliseconds. */
export function durationOption(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d|w)?$/.exec(value.trim());
  if (!m) throw new UsageError(`--${name} expects a duration such as 30d, 12h or 45m, got '${value}'`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 }[(m[2] ?? 'd') as 'd'];
  return Number(m[1]) * unit;
}

/** Parses 500MB, 2G, 1024 (bytes) into bytes. */
export function sizeOption(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const m = /^(\d+(?:\.\d+)?)\s*(b|k|kb|kib|m|mb|mib|g|gb|gib|t|tb|tib)?$/i.exec(value.trim());
  if (!m) throw new UsageError(`--${name} expects a size such as 500MB or 2GB, got '${value}'`);
  const unit = (m[2] ?? 'b').toLowerCase()[0];
  const mult = { b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 }[unit as 'b'];
  return Math.round(Number(m[1]) * mult);
}
