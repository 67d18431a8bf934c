// LLM-R end to end through the CLI, on the built-in suite with small training budgets: every stage
// of both iterations and every baseline runs, the tables have a row (Table 1) and a column (per task) for each
// iteration's retriever, a re-run is fully cached, and a change of α re-runs only the retrievers
// and what reads their candidates (the second iteration scores the first retriever's).
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SHARED_TASKS, SKIP_WITHOUT_SHARED } from '../shared-data.js';
import { Project, ROOT } from './harness.js';

const RECIPE = join(ROOT, 'recipes', 'llm-r.yaml');
const SMALL = ['-S', 'vars.scoredQueries=4', '-S', 'vars.scoredCandidates=8', '-S', 'stages.reward.params.steps=4',
  '-S', 'stages.retriever.params.steps=4', '-S', 'stages.dense.params.steps=4', '-S', 'stages.tasks.params.maxTrain=40', '-S', 'stages.tasks.params.maxTest=10'];
// Four built-in tasks of four categories keep the two iterations quick.
const BUILTIN = ['-S', 'stages.tasks.params.tasks=[gen_reviews, gen_nli_travel, gen_open_book, gen_headline]'];

const METHODS = ['Zero-shot', 'Random', 'K-means', 'BM25', 'Dense (unsupervised)', 'LLM-R (1 iteration)', 'LLM-R (2 iterations)'];

function averages(stdout: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of stdout.matchAll(/^\| ([A-Za-z][\w() -]*?)\s+\|.*\|\s+([\d.]+) \|$/gm)) if (METHODS.includes(m[1]!)) out[m[1]!] ??= Number(m[2]);
  return out;
}

describe('LLM-R, two iterations (end to end)', () => {
  it('runs every stage, reports both iterations beside the baselines, then is fully cached; α re-runs only the retriever side', async () => {
    const p = new Project();
    const res = await p.run(['run', RECIPE, '--quiet', '--plain', '--no-track', ...SMALL, ...BUILTIN]);
    expect(res.code, res.stdout + res.stderr).toBe(0);
    expect(res.stdout).toContain('19 ran, 0 cached, 0 failed');
    expect(Object.keys(averages(res.stdout)).sort()).toEqual([...METHODS].sort());
    // The per-task table: one row per task, the methods as columns in the paper's order.
    expect(res.stdout).toMatch(/^\| task\s+\| Zero-shot \| Random \| K-means \| BM25 \| Dense \(unsupervised\) \| LLM-R \(1 iteration\) \| LLM-R \(2 iterations\) \|$/m);
    expect(res.stdout).toMatch(/^\| gen_reviews\s+\|/m);
    expect(res.stdout).toMatch(/^\| Retriever, iteration 2\s+\|.*\|$/m);
    // Table 3: of these four tasks, only gen_reviews stands in for one of the paper's held-out tasks.
    expect(res.stdout).toMatch(/### Held-out tasks[^\n]*\n\n\| node\s+\|\s+gen_reviews\s+\|\s+Avg\s+\|$/m);

    const again = await p.run(['run', RECIPE, '--quiet', '--plain', '--no-track', ...SMALL, ...BUILTIN]);
    expect(again.stdout).toContain('nothing to do: every node was cached');
    expect(averages(again.stdout)).toEqual(averages(res.stdout));

    const plan = await p.run(['plan', RECIPE, '--json', ...SMALL, ...BUILTIN, '-S', 'stages.retriever.params.alpha=0.5']);
    expect(plan.code, plan.stderr).toBe(0);
    const misses = (JSON.parse(plan.stdout) as { id: string; status: string }[]).filter((n) => n.status === 'miss').map((n) => n.id);
    expect(misses.sort()).toEqual(['llm-r-eval#0', 'llm-r-eval#1', 'retriever#0', 'retriever#1', 'reward#1', 'scores#1']);
  }, 600_000);

  it.skipIf(SKIP_WITHOUT_SHARED)('runs both iterations on three real task folders with tiny caps', async () => {
    const p = new Project();
    const tasks = ['arc_e', 'rte', 'common_gen'];
    const res = await p.run(['run', RECIPE, '--quiet', '--plain', '--no-track', ...SMALL,
      '-S', 'stages.tasks.params.suite=folders', '-S', `stages.tasks.params.tasks=[${tasks.join(', ')}]`,
      '-S', `stages.tasks.inputs.data=${SHARED_TASKS}`]);
    expect(res.code, res.stdout + res.stderr).toBe(0);
    expect(Object.keys(averages(res.stdout)).sort()).toEqual([...METHODS].sort());
    for (const task of tasks) expect(res.stdout).toMatch(new RegExp(`^\\| ${task}\\s+(\\|\\s+[\\d.]+ ){7}\\|$`, 'm'));
  }, 600_000);

  it('accepts the paper-scale recipe in validate and plan, two iterations chained as in the main job', async () => {
    const p = new Project();
    const paper = join(ROOT, 'recipes', 'llm-r-paper.yaml');
    const valid = await p.run(['validate', paper]);
    expect(valid.code, valid.stdout + valid.stderr).toBe(0);
    const plan = await p.run(['plan', paper, '--json']);
    expect(plan.code, plan.stderr).toBe(0);
    const ids = (JSON.parse(plan.stdout) as { id: string }[]).map((n) => n.id);
    for (const id of ['scores#1', 'reward#1', 'retriever#1', 'llm-r-eval#1', 'e5', 'electra']) expect(ids).toContain(id);
  }, 60_000);
});
