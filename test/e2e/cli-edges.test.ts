// Command-line edges a new user met: usage on stderr, our own unknown-option messages with hints,
// did-you-mean for stage names, options checked before anything is created, plan --target,
// completion scripts, and pinning whole runs.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Project } from './harness.js';

const RECIPE = `
name: edges
stages:
  prepare:
    plugin: ./plugins/count
    foreach: [1, 2]
    params: { value: "\${item}" }
  train:
    plugin: ./plugins/count
    inputs: { in: "\${stages.prepare.outputs.out}" }
  other:
    plugin: ./plugins/count
    params: { value: 9 }
`;

describe('command line (end to end)', () => {
  it('without arguments prints usage on stderr and exits 2', async () => {
    const res = await new Project().run([]);
    expect(res.code).toBe(2);
    expect(res.stdout).toBe('');
    expect(res.stderr).toContain('Usage: retort <command> [options]');
  });

  it('unknown options get a message with a hint; -n and --dry-run point to plan', async () => {
    const p = new Project();
    p.write('r.yaml', RECIPE);
    const typo = await p.run(['run', 'r.yaml', '--forse', 'train']);
    expect(typo.code).toBe(2);
    expect(typo.stderr).toContain("retort run: unknown option '--forse'; did you mean '--force'?");
    expect(typo.stderr).not.toContain('To specify a positional argument');
    for (const flag of ['-n', '--dry-run']) {
      const dry = await p.run(['run', 'r.yaml', flag]);
      expect(dry.code).toBe(2);
      expect(dry.stderr).toContain(`retort run: unknown option '${flag}'; did you mean \`retort plan\`?`);
    }
    expect(existsSync(join(p.dir, 'runs'))).toBe(false);
  });

  it('run --force and --target with an unknown stage suggest the nearest one', async () => {
    const p = new Project();
    p.write('r.yaml', RECIPE);
    const force = await p.run(['run', 'r.yaml', '--force', 'trian', '--no-track']);
    expect(force.code).toBe(2);
    expect(force.stderr).toContain("--force: unknown stage 'trian'; did you mean 'train'? (stages: prepare, train, other)");
    const target = await p.run(['run', 'r.yaml', '--target', 'prepar', '--no-track']);
    expect(target.stderr).toContain("--target: unknown stage 'prepar'; did you mean 'prepare'?");
  });

  it('plan --target and explain with an unknown stage suggest the nearest one, and nothing is written', async () => {
    const p = new Project();
    p.write('r.yaml', RECIPE);
    const plan = await p.run(['plan', 'r.yaml', '--target', 'othr']);
    expect(plan.code).toBe(2);
    expect(plan.stderr).toContain("--target: unknown stage 'othr'; did you mean 'other'? (stages: prepare, train, other)");
    const explain = await p.run(['explain', 'r.yaml', 'trai']);
    expect(explain.code).toBe(2);
    expect(explain.stderr).toContain("unknown stage 'trai' (did you mean 'train'?)");
    expect(existsSync(join(p.dir, 'runs', 'store'))).toBe(false);
  });

  it('gc --older-than soon is rejected before the store is created', async () => {
    const p = new Project();
    const res = await p.run(['gc', '--older-than', 'soon']);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain("--older-than expects a duration such as 30d, 12h or 45m, got 'soon'");
    expect(existsSync(join(p.dir, 'runs'))).toBe(false);
  });

  it('plan --target lists only the targeted nodes and what they need', async () => {
    const p = new Project();
    p.write('r.yaml', RECIPE);
    const res = await p.run(['plan', 'r.yaml', '--target', 'train']);
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toMatch(/miss\s+prepare\[1\]/);
    expect(res.stdout).toMatch(/miss\s+train/);
    expect(res.stdout).not.toMatch(/\bother\b/);
    expect(res.stdout).toContain('3 nodes: 0 cached, 3 to run; 1 node not targeted');
    const one = await p.run(['plan', 'r.yaml', '--target', 'other']);
    expect(one.stdout).toContain('1 node: 0 cached, 1 to run; 3 nodes not targeted');
  });

  it('run --target counts only the targeted nodes and what they need', async () => {
    const p = new Project();
    p.write('r.yaml', RECIPE);
    expect((await p.run(['run', 'r.yaml', '--no-track', '--target', 'other'])).code).toBe(0);
    const res = await p.run(['run', 'r.yaml', '--no-track', '--plain', '--target', 'train']);
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toContain('3 nodes: 0 cached, 3 to run');
    expect(res.stdout).not.toMatch(/\[hit\] other/);
  });

  it('completion scripts: bash completes commands and options; zsh and fish scripts name them', async () => {
    const p = new Project();
    const bash = await p.run(['completion', 'bash']);
    expect(bash.code).toBe(0);
    p.write('c.bash', bash.stdout);
    const complete = (words: string[]) => execFileSync('bash', ['-c', `source c.bash; COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; _retort; echo "\${COMPREPLY[*]}"`], { cwd: p.dir, encoding: 'utf8' }).trim();
    expect(complete(['retort', 'pl'])).toBe('plan plugins');
    expect(complete(['retort', 'run', '--forc'])).toBe('--force --force-all');
    expect(complete(['retort', 'completion', '--h'])).toBe('--help');
    const zsh = await p.run(['completion', 'zsh']);
    expect(zsh.stdout).toContain('#compdef retort');
    expect(zsh.stdout).toContain("'run:run a recipe");
    const fish = await p.run(['completion', 'fish']);
    expect(fish.stdout).toContain("complete -c retort -n '__fish_seen_subcommand_from gc' -l older-than");
    const bad = await p.run(['completion', 'tcsh']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("unknown shell 'tcsh' (bash, zsh or fish)");
  });

  it('pin last pins every node of the run, also when one is pinned already; --remove by name and by run counts right', async () => {
    const p = new Project();
    p.write('r.yaml', RECIPE);
    expect((await p.run(['run', 'r.yaml', '--no-track'])).code).toBe(0);
    const record = JSON.parse((await p.run(['show', 'last', '--json'])).stdout) as { runId: string; nodes: { key: string }[] };
    const one = await p.run(['pin', record.nodes[0]!.key.slice(0, 12), '--name', 'baseline']);
    expect(one.stdout).toBe('pinned 1 entry\n');
    const all = await p.run(['pin', 'last']);
    expect(all.code, all.stderr).toBe(0);
    expect(all.stdout).toBe('pinned 3 entries (1 pinned already)\n');
    expect((await p.run(['pin', record.runId])).stdout).toBe('pinned 0 entries (4 pinned already)\n');
    expect((await p.run(['pin', '--list'])).stdout.trim().split('\n')).toHaveLength(4);
    const byName = await p.run(['pin', '--remove', 'baseline']);
    expect(byName.code, byName.stderr).toBe(0);
    expect(byName.stdout).toBe('unpinned 1 entry\n');
    expect((await p.run(['pin', '--remove', 'last'])).stdout).toBe('unpinned 3 entries\n');
    expect((await p.run(['pin', '--list'])).stdout).toBe('');
    const none = await p.run(['pin', '--remove', 'nothing-here']);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain("no pin matches 'nothing-here'");
  });
});
