// A source map that reads through to the recipe's and keeps a trial's changes to itself: trials
// share one map of the recipe instead of copying it (a thousand trials, a thousand copies).
import { SourceMap, type KeyPath, type SourceEntry } from '../recipe/source-map.js';

export class LayeredSourceMap extends SourceMap {
  private readonly own = new Map<string, SourceEntry>();
  /** Ids of subtrees of the base removed in this layer (an override replaced them). */
  private readonly removed: string[] = [];

  constructor(private readonly base: SourceMap) {
    super();
  }

  private hidden(id: string): boolean {
    return this.removed.some((p) => id === p || id.startsWith(p + '\u0001'));
  }

  override set(path: KeyPath, entry: SourceEntry): void {
    this.own.set(SourceMap.id(path), entry);
  }

  override setById(id: string, entry: SourceEntry): void {
    this.own.set(id, entry);
  }

  override get(path: KeyPath): SourceEntry | undefined {
    const id = SourceMap.id(path);
    return this.own.get(id) ?? (this.hidden(id) ? undefined : this.base.get(path));
  }

  override nearest(path: KeyPath): SourceEntry | undefined {
    for (let n = path.length; n >= 0; n--) {
      const hit = this.get(path.slice(0, n));
      if (hit) return hit;
    }
    return undefined;
  }

  override *under(prefix: KeyPath): Iterable<[string, SourceEntry]> {
    const id = SourceMap.id(prefix);
    const inside = (key: string) => prefix.length === 0 || key === id || key.startsWith(id + '\u0001');
    for (const [key, entry] of this.own) if (inside(key)) yield [key, entry];
    for (const [key, entry] of this.base.under(prefix)) if (!this.own.has(key) && !this.hidden(key)) yield [key, entry];
  }

  override deleteSubtree(path: KeyPath): void {
    const prefix = SourceMap.id(path);
    for (const key of [...this.own.keys()]) if (key === prefix || key.startsWith(prefix + '\u0001')) this.own.delete(key);
    this.removed.push(prefix);
  }
}
