// `retort table` through the CLI: tables rebuilt from the store without running anything, stale and
// missing cells said, provenance (footnotes, HTML links, --explain), and `retort report` as its alias.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { Project } from './harness.js';

const RECIPE = `
vars: { tag: "" }
stages:
  score:
    plugin: ./plugins/count
    foreach:
      - { name: a1, method: a, v: 1 }
      - { name: a2, method: a, v: 3 }
      - { name: b1, method: b, v: 5 }
    params: { value: "\${item.v}", label: "\${item.method}\${vars.tag}" }
  extra:
    plugin: ./plugins/count
    foreach: [{ name: c1, method: c, v: 2 }]
    params: { value: "\${item.v}" }
report:
  tables:
    - title: Scores
      stage: [score, extra]
      row: item.method
      metrics: [total]
      aggregate: mean ± std
      digits: 1
      best: max
`;

let p: Project;
beforeAll(async () => {
  p = new Project('retort-table-');
  p.write('r.yaml', RECIPE);
  // `extra` is left out: its node is never computed.
  const res = await p.run(['run', 'r.yaml', '--no-track', '--plain', '--target', 'score']);
  expect(res.code, res.stderr).toBe(0);
  p.resetExecutions();
}, 120_000);

describe('retort table', () => {
  it('rebuilds the tables from the store without running anything, and says which cells are missing', async () => {
    const res = await p.run(['table', 'r.yaml']);
    expect(res.code, res.stderr).toBe(0);
    expect(p.executions()).toEqual([]);
    expect(res.stdout).toContain('| a      | 2.0 ± 1.4 |');
    expect(res.stdout).toContain('| b      |   **5.0** |'); // one value: no spread
    expect(res.stdout).toContain('| c      |         – |');
    expect(res.stdout).toContain('(missing, never computed: extra[c1] → c/total)');
    expect(res.stderr).toContain('0 cells stale, 1 missing (never computed)');
    // The older name prints the same.
    const alias = await p.run(['report', 'r.yaml']);
    expect([alias.code, alias.stdout]).toEqual([0, res.stdout]);
  });

  it('says which cells are stale: the store has results for an older key of their nodes', async () => {
    const res = await p.run(['table', 'r.yaml', '-S', 'vars.tag=-v2']);
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toContain('| a      |     – |');
    expect(res.stdout).toContain('(stale: an older result is stored, `retort run` recomputes: score[a1], score[a2] (params changed: label "a" → "a-v2") → a/total; score[b1] (params changed: label "b" → "b-v2") → b/total)');
    expect(res.stderr).toContain('2 cells stale, 1 missing');
    expect(p.executions()).toEqual([]);
  });

  it('footnotes name the nodes, keys and runs behind each cell, only when asked', async () => {
    const res = await p.run(['table', 'r.yaml', '--provenance']);
    expect(res.stdout).toContain('| a      | 2.0 ± 1.4[^c1] |');
    expect(res.stdout).toMatch(/\n\[\^c1\]: score\[a1\] [0-9a-f]{12} run \d{8}-\d{6}-[0-9a-f]{6}; score\[a2\] [0-9a-f]{12} run \d{8}-\d{6}-[0-9a-f]{6}\n/);
    expect(res.stdout).toMatch(/\n\[\^c3\]: extra\[c1\] [0-9a-f]{12} \(never computed\)/);
    expect((await p.run(['table', 'r.yaml'])).stdout).not.toContain('[^c');
  });

  it('--explain prints a cell\'s nodes, keys, runs and the values aggregated, by id or row/column', async () => {
    const res = await p.run(['table', 'r.yaml', '--explain', 'a/total']);
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toMatch(/^cell c1: table 1 "Scores", row a, column total\n  value: 2\.0 ± 1\.4 \(mean ± std of 2 values\)\n  nodes \(2\):\n    score\[a1\]\n      key:    [0-9a-f]{64}\n      run:    \d{8}-\d{6}-[0-9a-f]{6}\n      value:  total = 1\n    score\[a2\]\n/);
    expect(res.stdout).toContain('value:  total = 3');
    const byId = await p.run(['table', 'r.yaml', '--explain', 'c1']);
    expect(byId.stdout).toBe(res.stdout);
    const bad = await p.run(['table', 'r.yaml', '--explain', 'a/totl']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("--explain: no cell 'a/totl'; did you mean 'a/total'?");
  });

  it('HTML is a standalone page whose cells carry their keys and link to their provenance', async () => {
    const res = await p.run(['table', 'r.yaml', '--format', 'html', '--out', 't.html']);
    expect(res.code, res.stderr).toBe(0);
    const html = readFileSync(join(p.dir, 't.html'), 'utf8');
    expect(html.startsWith('<!DOCTYPE html>\n<html lang="en">')).toBe(true);
    expect(html.trimEnd().endsWith('</html>')).toBe(true);
    expect(html).toMatch(/<td id="c1" data-keys="[0-9a-f]{64} [0-9a-f]{64}" title="score\[a1\] [0-9a-f]{12} run [^"]+"><a href="#prov-c1">2\.0 ± 1\.4<\/a><\/td>/);
    expect(html).toMatch(/<dt id="prov-c1"><a href="#c1">c1<\/a> Scores: a \/ total<\/dt>/);
  });

  it('an unknown format or objective outside a sweep is a usage error', async () => {
    const res = await p.run(['table', 'r.yaml', '--format', 'pdf']);
    expect([res.code, res.stderr.split('\n')[0]]).toEqual([2, "retort table: --format expects markdown, csv, latex or html, got 'pdf'"]);
    const obj = await p.run(['table', 'r.yaml', '--objective', 'total']);
    expect(obj.code).toBe(2);
    expect(obj.stderr).toContain('--objective ranks the trials of a sweep; this recipe is not one');
  });
});

describe('retort table on a sweep', () => {
  it("pools the trials of the recipe's sweep: block (and of -m axes) as retort run does", async () => {
    const q = new Project('retort-table-sweep-');
    q.write('s.yaml', `vars: { s: 1 }
stages:
  score: { plugin: ./plugins/count, params: { value: "\${vars.s}" } }
sweep:
  grid: { vars.s: [1, 3] }
report:
  tables:
    - { title: Pooled, stage: score, row: stage, metrics: [total], aggregate: mean ± std, n: true, digits: 1 }
`);
    const ran = await q.run(['run', 's.yaml', '--no-track', '--plain']);
    expect(ran.code, ran.stderr).toBe(0);
    expect(ran.stdout).toMatch(/\| score +\| +2\.0 ± 1\.4 \(n=2\) \|/);
    q.resetExecutions();
    const table = await q.run(['table', 's.yaml']);
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toMatch(/\| score +\| +2\.0 ± 1\.4 \(n=2\) \|/);
    const narrowed = await q.run(['table', 's.yaml', '-m', '-S', 'vars.s=1,3,5']);
    expect(narrowed.stdout).toMatch(/\| score +\| +2\.0 ± 1\.4 \(n=2\) \|/); // s=5 was never computed
    expect(narrowed.stderr).toContain('1 missing');
    expect(q.executions()).toEqual([]);
  }, 120_000);
});
