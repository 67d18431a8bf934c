// What the compiles of a sweep's trials share: a copy of the recipe document that one trial's
// overrides may change without touching the others, and a hasher that hashes each external input
// once for all trials.
import type { ContentHasher } from '../graph/content-hash.js';
import type { LoadedRecipe, Plain } from '../recipe/load.js';
import { LayeredSourceMap } from './layered-sources.js';

/**
 * A copy a compile may change. Overrides write along their paths and nothing else in the document
 * is changed, except that vars may reach params (where defaults are filled in): so vars are copied
 * whole, and the mappings along each override path; the source map is layered over the recipe's.
 */
export function copyOf(loaded: LoadedRecipe, paths: (string | number)[][]): LoadedRecipe {
  const doc: Record<string, Plain> = { ...loaded.doc };
  if (doc.vars !== undefined) doc.vars = structuredClone(doc.vars);
  for (const path of paths) {
    let cur = doc as Record<string | number, Plain>;
    for (const seg of path.slice(0, -1)) {
      const next = cur[seg];
      if (next === null || typeof next !== 'object') break;
      cur = cur[seg] = (Array.isArray(next) ? [...next] : { ...next }) as Plain as Record<string | number, Plain>;
    }
  }
  return { ...loaded, doc, sources: new LayeredSourceMap(loaded.sources) };
}

/** Hashes each external input once for all trials (they share files and folders). */
export function memoHasher(inner: ContentHasher): ContentHasher {
  const memo = new Map<string, ReturnType<ContentHasher['hashPath']>>();
  return new Proxy(inner, {
    get(target, prop, receiver) {
      if (prop !== 'hashPath') return Reflect.get(target, prop, receiver) as unknown;
      return (path: string) => {
        let found = memo.get(path);
        if (!found) memo.set(path, (found = target.hashPath(path)));
        return found;
      };
    },
  });
}
