// The first LLM-R stages through the CLI: tasks → ngram-lm → bm25 → llm-score on three generated
// tasks with small caps, then a cached re-run. Runs the compiled CLI: build first
// (npx tsc -p tsconfig.json).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Store } from '../../src/store/store.js';
import { Project } from './harness.js';
import { at } from '../util/at.js';

const TASKS = ['gen_reviews', 'gen_country_facts', 'gen_cause_effect'];

const RECIPE = `
stages:
  tasks:
    plugin: tasks
    params: { suite: builtin, seed: 2, trainSize: 30, testSize: 5, tasks: [${TASKS.join(', ')}] }
  lm:
    plugin: ngram-lm
    inputs:
      tasks: \${stages.tasks.outputs.tasks}
    params: { order: 3 }
  bm25:
    plugin: bm25
    inputs:
      tasks: \${stages.tasks.outputs.tasks}
    params: { topK: 20 }
  scores:
    plugin: llm-score
    inputs:
      tasks: \${stages.tasks.outputs.tasks}
      lm: \${stages.lm.outputs.model}
      candidates: \${stages.bm25.outputs.candidates}
    params: { searchTopk: 10, scoreTopk: 4, maxQueriesPerTask: 6, chunkQueries: 4 }
`;

interface Line { id: string; split: string; candidates: { id: string; score: number }[] }

describe('llm-score in a recipe (end to end)', () => {
  it('scores the BM25 candidates of every task\'s train queries and is cached on a re-run', async () => {
    const p = new Project();
    p.write('recipe.yaml', RECIPE);
    const res = await p.run(['run', 'recipe.yaml', '--quiet', '--plain', '--no-track']);
    expect(res.code, res.stdout + res.stderr).toBe(0);
    expect(res.stdout).toContain('4 ran, 0 cached, 0 failed');

    const store = await Store.open(join(p.dir, 'runs', 'store'));
    const manifest = at(await store.manifests({ stage: 'scores' }), 0);
    const dir = store.portPath(manifest.key, 'scores');
    expect(readdirSync(dir).sort()).toEqual([...TASKS.map((t) => `${t}.jsonl`), 'index.json'].sort());
    const index = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8')) as { scorer: string; lm: string; tasks: { task: string; queries: number }[] };
    expect(index.scorer).toBe('llm-score');
    expect(index.lm).toMatch(/^ngram/);
    for (const task of TASKS) {
      const lines = readFileSync(join(dir, `${task}.jsonl`), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Line);
      expect(lines).toHaveLength(6);
      for (const line of lines) {
        expect(line.split).toBe('train');
        expect(line.candidates).toHaveLength(4);
        const scores = line.candidates.map((c) => c.score);
        expect([...scores].sort((a, b) => b - a)).toEqual(scores);
        expect(scores.every((s) => Number.isFinite(s) && s < 0)).toBe(true);
      }
    }

    const again = await p.run(['run', 'recipe.yaml', '--quiet', '--plain', '--no-track']);
    expect(again.code, again.stdout + again.stderr).toBe(0);
    expect(again.stdout).toContain('nothing to do: every node was cached');
  }, 120_000);

  it("keeps held-out tasks out of scoring: the paper's list by name of the task they stand in for, or named; a name that is no task fails the node", async () => {
    const p = new Project();
    p.write('recipe.yaml', RECIPE);
    const paper = await p.run(['run', 'recipe.yaml', '--plain', '--no-track', '--logs', 'all', '-S', 'stages.scores.params.heldOutTasks=llm-r']);
    expect(paper.code, paper.stdout + paper.stderr).toBe(0);
    expect(paper.stdout + paper.stderr).toContain('held out of training (not scored): gen_reviews'); // stands in for Yelp
    const store = await Store.open(join(p.dir, 'runs', 'store'));
    const scored = async () => (await store.manifests({ stage: 'scores' })).map((m) => readdirSync(store.portPath(m.key, 'scores')).sort());
    expect(await scored()).toEqual([['gen_cause_effect.jsonl', 'gen_country_facts.jsonl', 'index.json']]);

    const named = await p.run(['run', 'recipe.yaml', '--quiet', '--plain', '--no-track', '-S', 'stages.scores.params.heldOutTasks=[gen_cause_effect]']);
    expect(named.code, named.stdout + named.stderr).toBe(0);
    expect((await scored()).map((files) => files.includes('gen_cause_effect.jsonl'))).toEqual(expect.arrayContaining([false, false]));

    const typo = await p.run(['run', 'recipe.yaml', '--quiet', '--plain', '--no-track', '-S', 'stages.scores.params.heldOutTasks=[gen_cause_efect]']);
    expect(typo.code).toBe(1);
    expect(typo.stdout + typo.stderr).toMatch(/heldOutTasks names "gen_cause_efect", not among the tasks \(gen_cause_effect, gen_country_facts, gen_reviews\)/);
  }, 120_000);
});
