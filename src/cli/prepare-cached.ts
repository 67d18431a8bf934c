// `plan` and `run` prepare a recipe through the compiled-plan cache (see graph/compile-cache.ts).
import { join, resolve } from 'node:path';
import { ContentHasher } from '../graph/content-hash.js';
import { prepareWithCompileCache, type CachedPrepare } from '../graph/compile-cache.js';
import type { PreparedMaybeSweep } from '../sweep/prepare.js';
import type { CliIO } from './command.js';

/** Like prepareRecipeOrSweep, reusing an earlier compile when nothing it was made from changed. */
export function prepareCached(
  recipePath: string,
  overrides: string[],
  multirun: boolean,
  runsDir: string,
  io: CliIO,
): Promise<CachedPrepare<PreparedMaybeSweep>> {
  const request = { file: resolve(io.cwd, recipePath), overrides, multirun, runsDir, env: io.env };
  return prepareWithCompileCache(request, new ContentHasher(join(runsDir, 'hash-cache.json')),
    // The compiler is loaded only when the cached compile cannot be reused.
    async (env) => (await import('../sweep/prepare.js')).prepareRecipeOrSweep(recipePath, overrides, multirun, runsDir, { ...io, env }));
}
