// recipes/negative-distillation-paper.yaml (MATH, gpt-3.5-turbo/gpt-4 samples, a LLaMA-7B
// student) is accepted by `validate` and `plan` on a machine that has none of what it needs to
// run, and its environment variables reach the stages. Needs the compiled CLI.

import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Project, ROOT } from '../e2e/harness.js';

const RECIPE = join(ROOT, 'recipes', 'negative-distillation-paper.yaml');
const STAGES = ['math', 'teacher\\[gpt-3\\.5-turbo\\]', 'teacher\\[gpt-4\\]', 'samples\\[gpt-3\\.5-turbo\\]', 'samples\\[gpt-4\\]', 'llama', 'student\\[nat-gpt35\\]', 'student\\[nat-gpt4\\]', 'ranker', 'vote'];

describe('negative-distillation paper recipe', () => {
  it('is accepted by validate and plan, one node per teacher and per student', async () => {
    const p = new Project('retort-nd-paper-');
    const v = await p.run(['validate', RECIPE]);
    expect(v.code, v.stdout + v.stderr).toBe(0);
    expect(v.stdout).toContain('ok (7 stages, 15 nodes)');
    const plan = await p.run(['plan', RECIPE]);
    expect(plan.code, plan.stdout + plan.stderr).toBe(0);
    for (const stage of STAGES) expect(plan.stdout).toMatch(new RegExp(`^miss +${stage} `, 'm'));
  }, 120_000);

  it('takes the student and the data from the environment: another student is another key', async () => {
    const p = new Project('retort-nd-paper-');
    const a = await p.run(['plan', RECIPE]);
    const b = await p.run(['plan', RECIPE], { TDG_STUDENT: 'hf://acme/llama-7b-merged@0123abc' });
    expect(b.code, b.stderr).toBe(0);
    const key = (out: string, stage: string) => new RegExp(`^miss +${stage} +([0-9a-f]+)`, 'm').exec(out)?.[1];
    expect(key(b.stdout, 'llama')).not.toBe(key(a.stdout, 'llama'));
    expect(key(b.stdout, 'math')).toBe(key(a.stdout, 'math'));
  }, 120_000);
});
