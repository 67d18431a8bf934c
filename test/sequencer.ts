// The order test files start in: the slowest first, so that no long file starts near the end of the
// run with one worker left busy and the other idle. Vitest orders by the durations it cached from
// the last run, but CI starts from a clean clone with no cache and would order by file size; the
// durations below (seconds, from a full `vitest run --reporter=json` on 2 workers) stand in for
// that cache. Files not listed follow in vitest's own order.
import { relative } from 'node:path';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

export const SLOW_FILES: Readonly<Record<string, number>> = {
  'test/slurm/timeout.cluster.test.ts': 73,
  'test/reasoning/recipe.test.ts': 65,
  'test/llara/recipe.test.ts': 37,
  'test/llmr/dense-recipe.test.ts': 10,
  'test/sweep/example.test.ts': 8,
  'test/e2e/resources.test.ts': 8,
  'test/store/perf.test.ts': 7,
  'test/e2e/global-install.test.ts': 6,
};

/** `files` with the listed ones first, slowest first; the others keep their order after them. */
export function slowestFirst<T>(files: readonly T[], pathOf: (file: T) => string, seconds = SLOW_FILES): T[] {
  const estimate = (file: T) => seconds[pathOf(file)] ?? -1;
  return files.map((file, at) => ({ file, at, s: estimate(file) }))
    .sort((a, b) => b.s - a.s || a.at - b.at)
    .map(({ file }) => file);
}

export default class SlowestFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const root = this.ctx.config.root;
    return slowestFirst(await super.sort(files), (spec) => relative(root, spec.moduleId).split('\\').join('/'));
  }
}
