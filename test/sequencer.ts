// The order test files start in: the slowest first, so that no long file starts near the end of the
// run with one worker left busy and the other idle. Vitest orders by the durations it cached from
// the last run, but CI starts from a clean clone with no cache and would order by file size; the
// durations below stand in for that cache (seconds, from a full `vitest run --reporter=json` on 2
// workers on a machine shared with other work: the ranks matter, not the figures). Files not
// listed follow in vitest's own order.
import { relative } from 'node:path';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

export const SLOW_FILES: Readonly<Record<string, number>> = {
  'test/e2e/llm-r.test.ts': 125,
  'test/sweep/bad-input.test.ts': 105,
  'test/slurm/detach-track.test.ts': 104,
  'test/e2e/cli.test.ts': 78,
  'test/slurm/retry.cluster.test.ts': 76,
  'test/slurm/timeout.cluster.test.ts': 64,
  'test/sweep/run.test.ts': 62,
  'test/e2e/cache.test.ts': 54,
  'test/reasoning/recipe.test.ts': 46,
  'test/e2e/negatives-ablation.test.ts': 45,
  'test/e2e/tracking.test.ts': 44,
  'test/sweep/search-tpe-vs-random.test.ts': 42,
  'test/e2e/concurrency.test.ts': 40,
  'test/e2e/cli-edges.test.ts': 37,
  'test/slurm/executor.cluster.test.ts': 37,
  'test/llara/recipe.test.ts': 35,
  'test/sweep/search-run.test.ts': 34,
  'test/e2e/store-faults.test.ts': 33,
  'test/slurm/detach.cluster.test.ts': 32,
  'test/e2e/runs-diff.test.ts': 31,
  'test/store/scratch.test.ts': 29,
  'test/slurm/executor-stops.cluster.test.ts': 28,
  'test/llmr/dense-encoder.test.ts': 26,
  'test/bench/plan.test.ts': 25,
  'test/recipe/bad-recipes.test.ts': 25,
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
