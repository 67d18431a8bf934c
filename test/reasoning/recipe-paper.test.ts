// recipes/negative-distillation-paper.yaml (MATH, gpt-3.5-turbo/gpt-4 samples, a LLaMA-7B
// student) is accepted by `validate` and `plan` on a machine that has none of what it needs to
// run, its environment variables reach the stages, and its graph wires Table 2 (NCE and KD from
// each teacher's NAT student) and Table 3 (votes over the NAT student's samples). Needs the
// compiled CLI.

import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Project, ROOT } from '../e2e/harness.js';

const RECIPE = join(ROOT, 'recipes', 'negative-distillation-paper.yaml');
const STAGES = ['math', 'teacher\\[gpt-3\\.5-turbo\\]', 'teacher\\[gpt-4\\]', 'samples\\[gpt-3\\.5-turbo\\]', 'samples\\[gpt-4\\]', 'llama', 'student\\[nat-gpt35\\]', 'student\\[nat-gpt4\\]',
  'nce\\[kd-gpt35\\]', 'nce\\[nce-gpt35\\]', 'nce\\[kd-gpt4\\]', 'nce\\[nce-gpt4\\]', 'ranker', 'vote'];

/** The edges of `retort dag`'s Mermaid graph as "from -port-> to", nodes by their ids. */
function edgesOf(mermaid: string): string[] {
  const names = new Map([...mermaid.matchAll(/^ +(n\d+)\["([^ ]+) \(/gm)].map((m) => [m[1], m[2]]));
  return [...mermaid.matchAll(/^ +(n\d+) -->\|"([^"]+)"\| (n\d+)$/gm)].map((m) => `${names.get(m[1])} -${m[2]}-> ${names.get(m[3])}`);
}

describe('negative-distillation paper recipe', () => {
  it('is accepted by validate and plan, one node per teacher and per student', async () => {
    const p = new Project('retort-nd-paper-');
    const v = await p.run(['validate', RECIPE]);
    expect(v.code, v.stdout + v.stderr).toBe(0);
    expect(v.stdout).toContain('ok (8 stages, 19 nodes)');
    const plan = await p.run(['plan', RECIPE]);
    expect(plan.code, plan.stdout + plan.stderr).toBe(0);
    for (const stage of STAGES) expect(plan.stdout).toMatch(new RegExp(`^miss +${stage} `, 'm'));
  }, 120_000);

  it('teaches NCE and KD students with each teacher\'s NAT student and votes over the NAT student\'s samples', async () => {
    const p = new Project('retort-nd-paper-');
    const dag = await p.run(['dag', RECIPE]);
    expect(dag.code, dag.stdout + dag.stderr).toBe(0);
    const edges = edgesOf(dag.stdout);
    for (const [student, nat, samples] of [['kd-gpt35', 'nat-gpt35', 'gpt-3.5-turbo'], ['nce-gpt35', 'nat-gpt35', 'gpt-3.5-turbo'], ['kd-gpt4', 'nat-gpt4', 'gpt-4'], ['nce-gpt4', 'nat-gpt4', 'gpt-4']]) {
      expect(edges).toContain(`student[${nat}] -model → teacher-> nce[${student}]`);
      expect(edges).toContain(`samples[${samples}] -samples-> nce[${student}]`);
      expect(edges).toContain(`llama -model → base-> nce[${student}]`);
      expect(edges).toContain(`math -data → suite-> nce[${student}]`);
    }
    expect(edges.filter((e) => e.endsWith('-> vote'))).toEqual(['math -data → suite-> vote', 'student[nat-gpt35] -model-> vote', 'ranker -ranker-> vote']);
  }, 120_000);

  it('declares Table 2: one row per teacher, KD and NCE side by side', async () => {
    const p = new Project('retort-nd-paper-');
    const t = await p.run(['table', RECIPE]);
    expect(t.code, t.stdout + t.stderr).toBe(0);
    const at = t.stdout.indexOf('### Table 2: NCE against KD from the NAT model on MATH (accuracy, %)');
    expect(at).toBeGreaterThanOrEqual(0);
    const table2 = t.stdout.slice(at, t.stdout.indexOf('### Table 3'));
    expect(table2).toMatch(/^\| teacher +\| +kd \| nce \|$/m);
    for (const teacher of ['gpt-3\\.5-turbo', 'gpt-4']) expect(table2).toMatch(new RegExp(`^\\| ${teacher} +\\| +– \\| +– \\|$`, 'm'));
    expect(t.stdout).toMatch(/^\| nat-gpt35 +\| +– \|$/m); // Table 1's rows are the students' names
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
