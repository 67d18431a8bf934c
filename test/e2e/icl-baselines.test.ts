import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Project, ROOT } from './harness.js';
import { SHARED_TASKS, SKIP_WITHOUT_SHARED } from '../shared-data.js';

const RECIPE = join(ROOT, 'recipes', 'icl-baselines.yaml');

function averages(stdout: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of stdout.matchAll(/^\| (zero-shot|random|bm25)\s+\|.*\|\s+([\d.]+) \|$/gm)) out[m[1]!] ??= Number(m[2]);
  return out;
}

describe('the main job: ICL baselines (end to end)', () => {
  it('runs on the built-in suite from an empty store, prints the category table, then is fully cached', async () => {
    const p = new Project();
    const res = await p.run(['run', RECIPE, '--quiet', '--plain']);
    expect(res.code, res.stdout + res.stderr).toBe(0);
    expect(res.stdout).toContain('6 ran, 0 cached, 0 failed');
    expect(res.stdout).toMatch(/\| method\s+\| close_qa \| commonsense \| coreference \|\s+nli \| paraphrase \| reading_comprehension \| sentiment \| data_to_text \| summarize \| average \|/);
    const avg = averages(res.stdout);
    expect(Object.keys(avg).sort()).toEqual(['bm25', 'random', 'zero-shot']);
    // Relevant demonstrations help most, as the LLM-R paper reports. Random against zero-shot is not
    // asserted: with the n-gram LM the two are within a point of each other on the built-in suite
    // (52.2 zero-shot, 51.2 random on its default draw), and which is ahead is a measurement, not a
    // behaviour of the tool.
    expect(avg.bm25).toBeGreaterThan(avg.random!);
    expect(avg.bm25).toBeGreaterThan(avg['zero-shot']!);
    expect(res.stdout).toMatch(/\| task\s+\| zero-shot \| random \|\s+bm25 \|/);
    expect(existsSync(join(p.dir, 'runs', 'mlruns'))).toBe(true);

    const again = await p.run(['run', RECIPE, '--quiet', '--plain']);
    expect(again.stdout).toContain('nothing to do: every node was cached');
    expect(averages(again.stdout)).toEqual(avg);

    // The baselines read no retrieval candidates: a BM25 change re-runs retrieval and its evaluation only.
    const plan = await p.run(['plan', RECIPE, '--json', '-S', 'stages.bm25.params.k1=1.5']);
    expect(plan.code, plan.stderr).toBe(0);
    const misses = (JSON.parse(plan.stdout) as { id: string; status: string }[]).filter((n) => n.status === 'miss').map((n) => n.id);
    expect(misses.sort()).toEqual(['bm25', 'retrieved']);
  }, 120_000);

  it.skipIf(SKIP_WITHOUT_SHARED)('runs on three real tasks with small caps', async () => {
    const p = new Project();
    const res = await p.run(['run', RECIPE, '--quiet', '--plain', '--no-track',
      '-S', 'stages.tasks.params.suite=folders', '-S', 'stages.tasks.params.tasks=[arc_e, rte, common_gen]',
      '-S', 'stages.tasks.params.maxTrain=200', '-S', 'stages.tasks.params.maxTest=30',
      '-S', `stages.tasks.inputs.data=${SHARED_TASKS}`]);
    expect(res.code, res.stdout + res.stderr).toBe(0);
    expect(res.stdout).toMatch(/\| task\s+\| zero-shot \| random \|\s+bm25 \|/);
    for (const task of ['arc_e', 'rte', 'common_gen']) expect(res.stdout).toMatch(new RegExp(`\\| ${task}\\s+\\|\\s+[\\d.]+ \\|\\s+[\\d.]+ \\|\\s+[\\d.]+ \\|`));
  }, 120_000);
});
