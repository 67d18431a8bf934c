// LLM-R end to end through the CLI, on the built-in suite with small training budgets: every stage
// runs, the table has a row for the distilled retriever, a re-run is fully cached, and a change of α
// re-runs only the retriever and what reads its candidates.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Project, ROOT } from './harness.js';

const RECIPE = join(ROOT, 'recipes', 'llm-r.yaml');
const SMALL = ['-S', 'vars.scoredQueries=4', '-S', 'vars.scoredCandidates=8', '-S', 'stages.reward.params.steps=4',
  '-S', 'stages.retriever.params.steps=4', '-S', 'stages.tasks.params.maxTrain=40', '-S', 'stages.tasks.params.maxTest=10'];

function averages(stdout: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of stdout.matchAll(/^\| (zero-shot|random|bm25|retrieved)\s+\|.*\|\s+([\d.]+) \|$/gm)) out[m[1]] ??= Number(m[2]);
  return out;
}

describe('LLM-R, one iteration (end to end)', () => {
  it('runs every stage, reports the retriever beside the baselines, then is fully cached; α re-runs only the retriever side', async () => {
    const p = new Project();
    const res = await p.run(['run', RECIPE, '--quiet', '--plain', '--no-track', ...SMALL]);
    expect(res.code, res.stdout + res.stderr).toBe(0);
    expect(res.stdout).toContain('11 ran, 0 cached, 0 failed');
    expect(Object.keys(averages(res.stdout)).sort()).toEqual(['bm25', 'random', 'retrieved', 'zero-shot']);
    expect(res.stdout).toMatch(/\| retriever \|.*\|/);

    const again = await p.run(['run', RECIPE, '--quiet', '--plain', '--no-track', ...SMALL]);
    expect(again.stdout).toContain('nothing to do: every node was cached');
    expect(averages(again.stdout)).toEqual(averages(res.stdout));

    const plan = await p.run(['plan', RECIPE, '--json', ...SMALL, '-S', 'stages.retriever.params.alpha=0.5']);
    expect(plan.code, plan.stderr).toBe(0);
    const misses = (JSON.parse(plan.stdout) as { id: string; status: string }[]).filter((n) => n.status === 'miss').map((n) => n.id);
    expect(misses.sort()).toEqual(['llm-r-eval', 'retriever']);
  }, 300_000);
});
