// Diagnostics gathered while compiling a recipe: located in the source, said once, thrown together.
import { narrowLocation, RecipeError, type Diagnostic, type SourceLocation } from '../recipe/diagnostic.js';
import type { InterpolationError } from '../recipe/interpolate.js';
import { formatKeyPath, type KeyPath, type SourceMap } from '../recipe/source-map.js';

/** Collects diagnostics; throws them together at the end of a phase. */
export class Problems {
  readonly list: Diagnostic[] = [];
  /** Where to point when nothing closer is known: every diagnostic has a location. */
  readonly fallback: SourceLocation;
  constructor(readonly sources: SourceMap, file: string) {
    this.fallback = { file, line: 1, col: 1 };
  }
  at(path: KeyPath, message: string, extra: Partial<Diagnostic> = {}, atKey = false): void {
    const entry = this.sources.get(path) ?? this.sources.nearest(path);
    this.list.push({
      message,
      keyPath: formatKeyPath(path),
      location: (atKey ? entry?.key : undefined) ?? entry?.value ?? this.fallback,
      includedFrom: entry?.includedFrom,
      ...extra,
    });
  }
  /** An interpolation error of the string at `path`: the caret goes under the ${…} at fault. */
  interpolation(path: KeyPath, err: InterpolationError, raw: string | undefined, suffix?: string): void {
    const at = [...path, ...err.path];
    const entry = this.sources.get(at) ?? this.sources.nearest(at);
    let location = entry?.value ?? this.fallback;
    if (raw !== undefined && err.span && entry === this.sources.get(at)) location = narrowLocation(location, raw, err.span);
    this.list.push({
      message: err.message + (suffix ? ` ${suffix}` : ''), keyPath: formatKeyPath(at), location, includedFrom: entry?.includedFrom,
      hint: err.hint, raw, resolved: err.partial,
    });
  }
  add(d: Diagnostic[]): void { this.list.push(...d); }
  throwIfAny(): void {
    if (!this.list.length) return;
    // The same fault in every instance of a foreach/repeat stage is said once (with the first instance).
    const seen = new Set<string>();
    const unique = this.list.filter((d) => {
      const where = d.location ? `${d.location.file}:${d.location.line}:${d.location.col}` : '';
      const id = `${where}\u0000${d.keyPath ?? ''}\u0000${d.message.replace(/ \((foreach item '[^']*'|iteration \d+)\)$/, '')}`;
      if (seen.has(id)) return false;
      seen.add(id);
      return true;
    });
    throw new RecipeError(unique);
  }
}
