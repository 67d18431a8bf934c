// `retort runs` and `retort diff` through the compiled CLI: two runs of a tiny recipe that differ
// in one param, listed and compared (needs `npx tsc -p tsconfig.json` first).
import { execFileSync } from 'node:child_process';
import { beforeAll, describe, expect, it } from 'vitest';
import { CHAIN } from './chain-recipe.js';
import { Project } from './harness.js';
import { at } from '../util/at.js';

interface RunSummary { runId: string; status: string; recipeName: string; overrides: string[]; durationMs: number; counts: Record<string, number> }

describe('retort runs and retort diff (end to end)', () => {
  const p = new Project();
  let first: string;
  let second: string;

  beforeAll(async () => {
    p.write('chain.yaml', CHAIN);
    expect((await p.run(['run', 'chain.yaml', '--no-track'])).code).toBe(0);
    expect((await p.run(['run', 'chain.yaml', '--no-track', '-S', 'vars.b=20'])).code).toBe(0);
    const listed = JSON.parse((await p.run(['runs', '--json'])).stdout) as RunSummary[];
    // Newest first.
    second = at(listed, 0).runId;
    first = at(listed, 1).runId;
  });

  it('lists both runs newest first, with status, counts and overrides', async () => {
    const listed = JSON.parse((await p.run(['runs', '--json'])).stdout) as RunSummary[];
    expect(listed.map((r) => r.runId)).toEqual([second, first]);
    expect(listed[0]).toMatchObject({ status: 'ok', recipeName: 'chain', overrides: ['vars.b=20'], counts: { ran: 2, hit: 1, failed: 0 } });
    expect(listed[1]).toMatchObject({ status: 'ok', overrides: [], counts: { ran: 3, hit: 0, failed: 0 } });
    expect(listed[1]!.durationMs).toBeGreaterThan(0);

    const text = await p.run(['runs']);
    expect(text.code).toBe(0);
    const lines = text.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^RUN\s+STATUS\s+STARTED \(UTC\)\s+TOOK\s+RAN\s+CACHED\s+FAILED\s+RECIPE\s+OVERRIDES$/);
    expect(lines[1]).toMatch(new RegExp(`^${second}\\s+ok\\s+\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d\\s+[\\d.]+m?s\\s+2\\s+1\\s+0\\s+chain\\s+-S vars\\.b=20$`));
    expect(lines[2]).toMatch(new RegExp(`^${first}\\s+ok\\s.*\\s3\\s+0\\s+0\\s+chain$`));
    expect(lines).toHaveLength(3);
  });

  it('filters by recipe and limits the list', async () => {
    expect((await p.run(['runs', '--limit', '1'])).stdout.trim().split('\n')).toHaveLength(2);
    for (const name of ['chain', './chain.yaml']) {
      expect(JSON.parse((await p.run(['runs', '--json', '--recipe', name])).stdout)).toHaveLength(2);
    }
    const none = await p.run(['runs', '--recipe', 'other']);
    expect(none.code).toBe(0);
    expect(none.stdout).toContain("no runs of 'other' are recorded");
    const bad = await p.run(['runs', '--limit', '0']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--limit expects an integer ≥ 1');
  });

  it('diff shows the changed param and the metrics with their deltas, from abbreviated run ids', async () => {
    // Run ids are <date>-<time>-<6 hex>; without their last 4 characters they stay unique (the runs started seconds apart).
    const prefix = (id: string) => id.slice(0, id.length - 4);
    const r = await p.run(['diff', prefix(first), prefix(second)]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`A  ${first}  ok  chain`);
    expect(r.stdout).toContain(`B  ${second}  ok  chain`);
    expect(r.stdout).toMatch(/overrides\n {2}A {2}\(none\)\n {2}B {2}-S vars\.b=20\n/);
    expect(r.stdout).toMatch(/params\n\s+NODE\s+PARAM\s+A\s+B\n\s+b\s+value\s+10\s+20\n/);
    expect(r.stdout).toContain('  c: inputs.in changed (upstream b)');
    expect(r.stdout).toMatch(/\n\s+b\s+total\s+11\s+21\s+\+10 \(\+90\.9%\)\n/);
    expect(r.stdout).toMatch(/\n\s+c\s+total\s+111\s+121\s+\+10 \(\+9%\)\n/);
    // a did not change: not shown unless --all.
    expect(r.stdout).not.toMatch(/\n\s+a\s+total/);
    expect((await p.run(['diff', first, second, '--all'])).stdout).toMatch(/\n\s+a\s+total\s+1\s+1\s+0\n/);
  });

  it('diff --json carries the same comparison', async () => {
    const r = await p.run(['diff', 'last~1', 'last', '--json']);
    expect(r.code).toBe(0);
    const d = JSON.parse(r.stdout) as { a: { runId: string }; b: { runId: string }; params: unknown[]; other: unknown[];
      metrics: { node: string; metric: string; a: number; b: number; delta: number }[] };
    expect([d.a.runId, d.b.runId]).toEqual([first, second]);
    expect(d.params).toEqual([{ node: 'b', param: 'value', a: 10, b: 20 }]);
    expect(d.other).toEqual([{ node: 'c', paths: ['inputs.in'], upstream: ['b'] }]);
    expect(d.metrics.find((m) => m.node === 'b' && m.metric === 'total')).toEqual({ node: 'b', metric: 'total', a: 11, b: 21, delta: 10 });
  });

  it('an unknown run id is a usage error with a did-you-mean; an ambiguous prefix asks for more', async () => {
    const typo = first.slice(0, -1) + (first.endsWith('0') ? '1' : '0');
    const unknown = await p.run(['diff', typo, second]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain(`no run '${typo}'; did you mean '${first}'?`);
    expect(unknown.stdout).toBe('');
    const nothingLike = await p.run(['diff', 'zzz', second]);
    expect(nothingLike.code).toBe(2);
    expect(nothingLike.stderr).toContain("no run 'zzz' (`retort runs` lists them)");
    const ambiguous = await p.run(['diff', first.slice(0, 4), second]);
    expect(ambiguous.code).toBe(2);
    expect(ambiguous.stderr).toContain(`'${first.slice(0, 4)}' matches 2 runs`);
    const one = await p.run(['diff', first]);
    expect(one.code).toBe(2);
    expect(one.stderr).toContain('expected two runs');
  });

  it('a node that failed in one run is named, not compared', async () => {
    const failed = await p.run(['run', 'chain.yaml', '--no-track', '-S', 'stages.c.params.fail=true']);
    expect(failed.code).toBe(1);
    const r = await p.run(['diff', first, 'last']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('c: key changed; not compared, no stored entry for B');
    expect(r.stdout).toMatch(/\n\s+c\s+total\s+111\s+-\s+-\n/);
    p.resetExecutions();
  });

  it('both commands are listed by --help and completed by the shell scripts', async () => {
    const help = await p.run(['--help']);
    expect(help.stdout).toMatch(/\n {2}runs\s+list recorded runs/);
    expect(help.stdout).toMatch(/\n {2}diff\s+compare two runs/);
    p.write('c.bash', (await p.run(['completion', 'bash'])).stdout);
    const complete = (words: string[]) => execFileSync('bash', ['-c', `source c.bash; COMP_WORDS=(${words.join(' ')}); COMP_CWORD=${words.length - 1}; _retort; echo "\${COMPREPLY[*]}"`], { cwd: p.dir, encoding: 'utf8' }).trim();
    expect(complete(['retort', 'ru'])).toBe('run runs');
    expect(complete(['retort', 'di'])).toBe('diff');
    expect(complete(['retort', 'runs', '--'])).toBe('--help --json --limit --recipe --runs-dir');
    expect(complete(['retort', 'diff', '--'])).toBe('--all --help --json --runs-dir');
  });
});
