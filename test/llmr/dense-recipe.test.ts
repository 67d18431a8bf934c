// The K-means and Dense (unsupervised) rows through the CLI: tasks → tokenizer → dense-encoder →
// kmeans-demos → icl-eval on three generated tasks with small caps, then a cached re-run. Runs
// the compiled CLI: build first (npx tsc -p tsconfig.json).
import { describe, expect, it } from 'vitest';
import { Project } from '../e2e/harness.js';

const RECIPE = `
stages:
  tasks:
    plugin: tasks
    params: { suite: builtin, seed: 2, trainSize: 30, testSize: 5, tasks: [gen_reviews, gen_country_facts, gen_cause_effect] }
  tokenizer:
    plugin: tokenizer
    inputs: { tasks: "\${stages.tasks.outputs.tasks}" }
    params: { vocabSize: 300 }
  lm:
    plugin: ngram-lm
    inputs: { tasks: "\${stages.tasks.outputs.tasks}" }
    params: { order: 3 }
  dense:
    plugin: dense-encoder
    inputs:
      tasks: \${stages.tasks.outputs.tasks}
      tokenizer: \${stages.tokenizer.outputs.tokenizer}
    params: { seed: 1, steps: 6, batchSize: 8, hiddenSize: 16, intermediateSize: 32, maxLength: 32, topK: 10, logEvery: 2 }
  kmeans:
    plugin: kmeans-demos
    inputs:
      tasks: \${stages.tasks.outputs.tasks}
      model: \${stages.dense.outputs.model}
    params: { k: 4, seed: 1 }
  kmeans-eval:
    plugin: icl-eval
    foreach: [{ name: K-means }]
    inputs:
      tasks: \${stages.tasks.outputs.tasks}
      lm: \${stages.lm.outputs.model}
      candidates: \${stages.kmeans.outputs.candidates}
    params: { method: retrieved, k: 4 }
  dense-eval:
    plugin: icl-eval
    foreach: [{ name: "Dense (unsupervised)" }]
    inputs:
      tasks: \${stages.tasks.outputs.tasks}
      lm: \${stages.lm.outputs.model}
      candidates: \${stages.dense.outputs.candidates}
    params: { method: retrieved, k: 4 }
report:
  tables:
    - title: baselines
      stage: [kmeans-eval, dense-eval]
      row: item.name
      metrics: [average]
      digits: 1
`;

describe('dense-encoder and kmeans-demos in a recipe (end to end)', () => {
  it('give the K-means and Dense rows of the table, and are cached on a re-run', async () => {
    const p = new Project();
    p.write('recipe.yaml', RECIPE);
    const res = await p.run(['run', 'recipe.yaml', '--plain', '--no-track']);
    expect(res.code, res.stdout + res.stderr).toBe(0);
    expect(res.stdout).toContain('7 ran, 0 cached, 0 failed');
    expect(res.stdout).toMatch(/\| K-means +\| +\d+\.\d \|/);
    expect(res.stdout).toMatch(/\| Dense \(unsupervised\) +\| +\d+\.\d \|/);
    const again = await p.run(['run', 'recipe.yaml', '--plain', '--no-track']);
    expect(again.code, again.stdout + again.stderr).toBe(0);
    expect(again.stdout).toContain('nothing to do: every node was cached');
  }, 120_000);
});
