// Provenance: the MLflow parent run holds the recipe's vars and the -S overrides, `show <run>` lists
// the overrides, `explain` tells an upstream change in the recipe's words and a new foreach instance
// as new; small output details (float noise, singular nouns, gc naming what it removes).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Project } from './harness.js';

const RECIPE = `
name: prov
vars: { base: 2, seeds: [1, 2], opts: { depth: 3 } }
stages:
  a:
    plugin: ./plugins/count
    params: { value: "\${vars.base}" }
  b:
    plugin: ./plugins/count
    foreach: \${vars.seeds}
    inputs: { in: "\${stages.a.outputs.out}" }
    params: { value: "\${item}" }
`;

/** The params folder of the parent run (the one without mlflow.parentRunId) in the local store. */
function parentParams(dir: string): Record<string, string> {
  const root = join(dir, 'runs', 'mlruns');
  for (const exp of readdirSync(root).filter((d) => /^\d+$/.test(d) && d !== '0')) {
    for (const run of readdirSync(join(root, exp)).filter((d) => /^[0-9a-f]{32}$/.test(d))) {
      if (existsSync(join(root, exp, run, 'tags', 'mlflow.parentRunId'))) continue;
      const params = join(root, exp, run, 'params');
      return Object.fromEntries(readdirSync(params).map((name) => [name, readFileSync(join(params, name), 'utf8')]));
    }
  }
  return {};
}

describe('provenance (end to end)', () => {
  it('the parent run gets the vars and the overrides as params; show <run> lists the overrides', async () => {
    const p = new Project();
    p.write('r.yaml', RECIPE);
    const res = await p.run(['run', 'r.yaml', '-S', 'vars.base=5', '-S', 'stages.b.params.label=x y']);
    expect(res.code, res.stderr).toBe(0);
    expect(parentParams(p.dir)).toMatchObject({ 'vars.base': '5', 'vars.seeds': '[1,2]', 'vars.opts.depth': '3', 'override.vars.base': '5', 'override.stages.b.params.label': 'x y' });
    const show = await p.run(['show', 'last']);
    expect(show.stdout).toContain("overrides -S vars.base=5 -S 'stages.b.params.label=x y'");
  });

  it('explain names the upstream node and what changed there; a new foreach instance is new', async () => {
    const p = new Project();
    p.write('r.yaml', RECIPE);
    expect((await p.run(['run', 'r.yaml', '--no-track'])).code).toBe(0);
    const changed = await p.run(['explain', 'r.yaml', 'b', '-S', 'vars.base=3', '-S', 'vars.seeds=[1, 2, 3]']);
    expect(changed.code, changed.stderr).toBe(0);
    expect(changed.stdout).toContain('  input in: upstream a changed:\n    params.value: 2 → 3\n');
    expect(changed.stdout).not.toMatch(/"node":/);
    expect(changed.stdout).toMatch(/b\[3\]  key \w+\n  new: b\[3\] was never computed/);
    const plan = await p.run(['plan', 'r.yaml', '-S', 'vars.seeds=[1, 2, 3]']);
    expect(plan.stdout).toMatch(/miss\s+b\[3\]\s+\w+\s+new: never computed/);
  });

  it('show prints metrics without float noise; validate and plan use singular nouns; gc names stage and recipe', async () => {
    const p = new Project();
    p.write('one.yaml', 'name: one\nstages:\n  s:\n    plugin: shell\n    params: { command: "echo \\"::metric score 56.00000000000001\\"" }\n');
    expect((await p.run(['validate', 'one.yaml'])).stdout).toContain('one.yaml: ok (1 stage, 1 node)');
    expect((await p.run(['plan', 'one.yaml'])).stdout).toContain('1 node: 0 cached, 1 to run');
    expect((await p.run(['run', 'one.yaml', '--no-track'])).code).toBe(0);
    const key = (JSON.parse((await p.run(['show', 'last', '--json'])).stdout) as { nodes: { key: string }[] }).nodes[0]!.key;
    expect((await p.run(['show', key])).stdout).toContain('  score = 56\n');
    const gc = await p.run(['gc', '--keep-runs', '0', '--dry-run']);
    expect(gc.stdout).toContain(`would remove s (stage s, recipe one)  ${key.slice(0, 12)}`);
    expect(gc.stdout).toContain('would remove 1 entry');
    expect(gc.stdout).toContain('and 1 run record;');
  });
});
