// Errors a user can cause in a recipe: a value with a source location, printed like a compiler error.
import { readFileSync, statSync } from 'node:fs';
import { isAbsolute, relative } from 'node:path';
import { splitLines } from './yaml-text.js';

export interface SourceLocation {
  file: string;        // absolute path, or '<command line>'
  line: number;        // 1-based
  col: number;         // 1-based
  length?: number;     // characters to underline
  /** For the command line, the text of the override itself. */
  text?: string;
  /** In an include chain: whether this line includes or extends the file below it. */
  via?: 'include' | 'extends';
}

export interface Diagnostic {
  message: string;
  /** Always set: every recipe error names file:line:col (the command line for -S overrides). */
  location: SourceLocation;
  /** Dotted key path inside the recipe, e.g. stages.train.params.lr */
  keyPath?: string;
  hint?: string;
  /** Where this file was included from, innermost first. */
  includedFrom?: SourceLocation[];
  /** For interpolation errors: the raw and (partly) resolved text. */
  raw?: string;
  resolved?: string;
  notes?: string[];
  /** Other places that explain this one, e.g. the recipe line that uses a broken plugin. */
  related?: { message: string; location: SourceLocation }[];
  /** The source line is not shown (e.g. a binary file). */
  noSource?: boolean;
}

/** Thrown inside the recipe pipeline; caught by the CLI and printed. Never escapes as a stack trace. */
export class RecipeError extends Error {
  readonly diagnostics: Diagnostic[];
  constructor(diagnostics: Diagnostic | Diagnostic[]) {
    const list = Array.isArray(diagnostics) ? diagnostics : [diagnostics];
    super(list.map((d) => d.message).join('; '));
    this.diagnostics = list;
  }
}

export function formatLocation(loc: SourceLocation, cwd = process.cwd()): string {
  // Relative to the working directory when the file is under it; absolute when it is elsewhere.
  const rel = relative(cwd, loc.file);
  const file = loc.file.startsWith('<') || !rel || rel.startsWith('..') || isAbsolute(rel) ? loc.file : rel;
  return `${file}:${loc.line}:${loc.col}`;
}

const sourceCache = new Map<string, { stamp: string; lines: string[] }>();
/** The text of the line a location points at (the override text for the command line). */
export function sourceLine(loc: SourceLocation): string | undefined {
  if (loc.text !== undefined) return loc.text;
  if (loc.file.startsWith('<')) return undefined;
  // Cached per file version: a long-lived process may see the same recipe edited between runs.
  let stamp: string;
  try { const st = statSync(loc.file); stamp = `${st.mtimeMs}:${st.size}`; } catch { return undefined; }
  let cached = sourceCache.get(loc.file);
  if (!cached || cached.stamp !== stamp) {
    try { cached = { stamp, lines: splitLines(readFileSync(loc.file, 'utf8')) }; } catch { return undefined; }
    sourceCache.set(loc.file, cached);
  }
  return cached.lines[loc.line - 1];
}

/**
 * Narrows the location of a whole string value to a part of it (e.g. one ${…} of a longer string),
 * when the source line shows that part verbatim at the expected column (plain or quoted scalars).
 */
export function narrowLocation(loc: SourceLocation, raw: string, span: { start: number; length: number }): SourceLocation {
  const line = sourceLine(loc);
  const before = raw.slice(0, span.start);
  const piece = raw.slice(span.start, span.start + span.length);
  if (line === undefined || piece === '' || before.includes('\n') || piece.includes('\n')) return loc;
  for (const shift of [0, 1]) {
    const col = loc.col + shift + before.length;
    if (line.slice(col - 1, col - 1 + piece.length) === piece &&
      line.slice(loc.col - 1 + shift, col - 1) === before) return { ...loc, col, length: piece.length };
  }
  return loc;
}

export function formatDiagnostic(d: Diagnostic, cwd = process.cwd()): string {
  const out: string[] = [];
  out.push(`${formatLocation(d.location, cwd)}: error: ${d.message}`);
  if (d.keyPath) out.push(`  at key: ${d.keyPath}`);
  const text = d.noSource ? undefined : sourceLine(d.location);
  if (text !== undefined) {
    const gutter = String(d.location.line);
    out.push(`  ${gutter} | ${text}`);
    const caretCount = Math.max(1, Math.min(d.location.length ?? 1, Math.max(1, text.length - d.location.col + 1)));
    out.push(`  ${' '.repeat(gutter.length)} | ${' '.repeat(Math.max(0, d.location.col - 1))}${'^'.repeat(caretCount)}`);
  }
  if (d.raw !== undefined) out.push(`  raw:      ${d.raw}`);
  if (d.resolved !== undefined) out.push(`  resolved: ${d.resolved}`);
  if (d.hint) out.push(`  ${d.hint}`);
  for (const note of d.notes ?? []) out.push(`  note: ${note}`);
  for (const r of d.related ?? []) out.push(`  ${r.message}: ${formatLocation(r.location, cwd)}`);
  for (const inc of d.includedFrom ?? []) out.push(`  ${inc.via === 'extends' ? 'extended by' : 'included from'} ${formatLocation(inc, cwd)}`);
  return out.join('\n');
}
