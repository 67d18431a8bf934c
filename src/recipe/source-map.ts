// Where each value of a loaded recipe came from: key path → source location.
import type { SourceLocation } from './diagnostic.js';

export type KeyPath = readonly (string | number)[];

export interface SourceEntry {
  /** Location of the value. */
  value: SourceLocation;
  /** Location of the mapping key that holds it (absent for list items and the root). */
  key?: SourceLocation;
  /** The include chain of the file that holds it, innermost first. */
  includedFrom?: SourceLocation[];
}

export class SourceMap {
  private readonly entries = new Map<string, SourceEntry>();

  static id(path: KeyPath): string {
    return path.join('\u0001');
  }

  set(path: KeyPath, entry: SourceEntry): void {
    this.entries.set(SourceMap.id(path), entry);
  }

  get(path: KeyPath): SourceEntry | undefined {
    return this.entries.get(SourceMap.id(path));
  }

  /** The entry of the path, or of its nearest ancestor that has one. */
  nearest(path: KeyPath): SourceEntry | undefined {
    for (let n = path.length; n >= 0; n--) {
      const hit = this.entries.get(SourceMap.id(path.slice(0, n)));
      if (hit) return hit;
    }
    return undefined;
  }

  /** Every entry whose path starts with `prefix`, with its path. */
  *under(prefix: KeyPath): Iterable<[string, SourceEntry]> {
    const id = SourceMap.id(prefix);
    for (const [key, entry] of this.entries) {
      if (prefix.length === 0 || key === id || key.startsWith(id + '\u0001')) yield [key, entry];
    }
  }

  setById(id: string, entry: SourceEntry): void {
    this.entries.set(id, entry);
  }

  deleteSubtree(path: KeyPath): void {
    const prefix = SourceMap.id(path);
    for (const id of [...this.entries.keys()]) {
      if (id === prefix || id.startsWith(prefix + '\u0001')) this.entries.delete(id);
    }
  }
}

export function formatKeyPath(path: KeyPath): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (/^[A-Za-z_$][\w$-]*$/.test(seg)) out += out ? `.${seg}` : seg;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out;
}
