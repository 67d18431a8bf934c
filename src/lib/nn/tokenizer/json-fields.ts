// Typed reads of tokenizer.json fields, each failure located by file and JSON path.

import { at, locatedError, type JsonLocation } from './errors.js';

export type JsonObject = Record<string, unknown>;

export class Fields {
  constructor(
    readonly obj: JsonObject,
    readonly loc: JsonLocation,
  ) {}

  static of(value: unknown, loc: JsonLocation): Fields {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw locatedError(loc, `must be an object, got ${describe(value)}`);
    return new Fields(value as JsonObject, loc);
  }

  has(key: string): boolean {
    return this.obj[key] !== undefined && this.obj[key] !== null;
  }

  raw(key: string): unknown {
    return this.obj[key];
  }

  at(key: string | number): JsonLocation {
    return at(this.loc, key);
  }

  string(key: string, fallback?: string): string {
    const v = this.obj[key];
    if ((v === undefined || v === null) && fallback !== undefined) return fallback;
    if (typeof v !== 'string') throw locatedError(this.at(key), `must be a string, got ${describe(v)}`);
    return v;
  }

  optString(key: string): string | null {
    const v = this.obj[key];
    if (v === undefined || v === null) return null;
    return this.string(key);
  }

  bool(key: string, fallback: boolean): boolean {
    const v = this.obj[key];
    if (v === undefined || v === null) return fallback;
    if (typeof v !== 'boolean') throw locatedError(this.at(key), `must be true or false, got ${describe(v)}`);
    return v;
  }

  optBool(key: string): boolean | null {
    const v = this.obj[key];
    if (v === undefined || v === null) return null;
    return this.bool(key, false);
  }

  int(key: string, fallback?: number): number {
    const v = this.obj[key];
    if ((v === undefined || v === null) && fallback !== undefined) return fallback;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw locatedError(this.at(key), `must be a non-negative integer, got ${describe(v)}`);
    return v;
  }

  optNumber(key: string): number | null {
    const v = this.obj[key];
    if (v === undefined || v === null) return null;
    if (typeof v !== 'number') throw locatedError(this.at(key), `must be a number, got ${describe(v)}`);
    return v;
  }

  array(key: string): unknown[] {
    const v = this.obj[key];
    if (!Array.isArray(v)) throw locatedError(this.at(key), `must be an array, got ${describe(v)}`);
    return v;
  }

  /** The objects of an array field, each located at `key[i]`. */
  elements(key: string): Fields[] {
    const arr = this.array(key);
    return arr.map((v, i) => Fields.of(v, at(this.at(key), i)));
  }

  object(key: string): Fields {
    return Fields.of(this.obj[key], this.at(key));
  }
}

export function describe(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return 'an object';
  return `${typeof v} ${JSON.stringify(v)}`;
}

/** HF's `{"String": "x"}` / `{"Regex": "x"}` pattern objects. */
export type Pattern = { String: string } | { Regex: string };

export function readPattern(f: Fields, key: string): Pattern {
  const p = f.object(key);
  if (typeof p.obj.String === 'string') return { String: p.obj.String };
  if (typeof p.obj.Regex === 'string') return { Regex: p.obj.Regex };
  throw locatedError(p.loc, 'must be {"String": "…"} or {"Regex": "…"}');
}

/** A global regex for a pattern; an Oniguruma pattern JavaScript cannot compile is a located error. */
export function compilePattern(p: Pattern, loc: JsonLocation): RegExp {
  if ('String' in p) return new RegExp(escapeRegex(p.String), 'gu');
  try {
    return new RegExp(p.Regex, 'gu');
  } catch (e) {
    throw locatedError(loc, `regex cannot be compiled in JavaScript: ${(e as Error).message}`);
  }
}

export function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}
