// recipes/sweeps/llm-r-temperature.yaml plans as one DAG in which data, BM25, scoring and the reward
// model are shared by every trial (running it is too slow for CI). Through the compiled CLI.
import { describe, expect, it } from 'vitest';
import { Project, ROOT } from '../e2e/harness.js';

describe('the LLM-R temperature sweep', () => {
  it('plans 27 trials in which only the retriever and its evaluation are per trial', async () => {
    const p = new Project();
    const r = await p.run(['plan', `${ROOT}/recipes/sweeps/llm-r-temperature.yaml`, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const plan = JSON.parse(r.stdout) as {
      sweep: { trials: { id: string; assignments: Record<string, unknown> }[]; counts: { nodes: number; sharedByAll: number; perTrialRuns: number } };
      nodes: { id: string; stage: string; trials: string[] }[];
    };
    expect(plan.sweep.trials).toHaveLength(27);
    expect(plan.sweep.trials[4]).toEqual({
      id: 'temperature=0.01,alpha=0.2,seed=2',
      assignments: { 'stages.retriever.params.temperature': 0.01, 'stages.retriever.params.alpha': 0.2, 'stages.retriever.params.seed': 2 },
    });
    const byAll = plan.nodes.filter((n) => n.trials.length === 27).map((n) => n.id);
    expect(byAll).toEqual(expect.arrayContaining(['tasks', 'lm', 'bm25', 'tokenizer', 'scores#0', 'reward#0', 'bm25-eval']));
    const perTrial = plan.nodes.filter((n) => n.trials.length === 1);
    expect(new Set(perTrial.map((n) => n.stage))).toEqual(new Set(['retriever', 'llm-r-eval']));
    expect(perTrial).toHaveLength(54);
    expect(perTrial.map((n) => n.id)).toContain('retriever#0[temperature=0.01,alpha=0.2,seed=2]');
    expect(plan.sweep.counts.nodes).toBe(byAll.length + 54);
    expect(plan.sweep.counts.perTrialRuns).toBe(27 * (byAll.length + 2));
    const checked = await p.run(['validate', `${ROOT}/recipes/sweeps/llm-r-temperature.yaml`]);
    expect(checked.stdout).toMatch(/ok \(14 stages, 67 nodes, a sweep of 27 trials\)/);
  }, 60_000);
});
