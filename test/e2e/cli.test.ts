import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Project } from './harness.js';

const RECIPE = `
name: cli-test
stages:
  a:
    plugin: ./plugins/count
    foreach: [1, 2]
    params: { value: "\${item}" }
  b:
    plugin: ./plugins/count
    inputs: { in: "\${stages.a.outputs.out}" }
`;

describe('CLI commands (end to end)', () => {
  it('dag prints Mermaid and DOT with port labels', async () => {
    const p = new Project();
    p.write('r.yaml', RECIPE);
    const mermaid = await p.run(['dag', 'r.yaml']);
    expect(mermaid.code).toBe(0);
    expect(mermaid.stdout).toContain('flowchart LR');
    expect(mermaid.stdout).toMatch(/n0\["a\[1\] \(count\)"\]/);
    expect(mermaid.stdout).toMatch(/n0 -->\|"out → in"\| n2/);
    const dot = await p.run(['dag', 'r.yaml', '--format', 'dot', '--stages']);
    expect(dot.stdout).toContain('digraph retort {');
    expect(dot.stdout).toContain('[label="a (count ×2)"]');
    expect(dot.stdout).toContain('n0 -> n1 [label="out → in"]');
  });

  it('show prints a run record and a node manifest; validate says ok', async () => {
    const p = new Project();
    p.write('r.yaml', RECIPE);
    expect((await p.run(['validate', 'r.yaml'])).stdout).toContain('r.yaml: ok (2 stages, 3 nodes)');
    await p.run(['run', 'r.yaml', '--no-track']);
    const run = await p.run(['show', 'last']);
    expect(run.stdout).toMatch(/run \S+\s+ok\s+cli-test/);
    expect(run.stdout).toMatch(/ran\s+b\s+[0-9a-f]{12}/);
    const key = /ran\s+b\s+([0-9a-f]{12})/.exec(run.stdout)![1]!;
    const node = await p.run(['show', key]);
    expect(node.stdout).toContain('node     b (stage b, recipe cli-test)');
    expect(node.stdout).toMatch(/[0-9a-f]{12}\s+\d+\s+out\/value.json/);
    expect(node.stdout).toContain('total = 4');
    expect((await p.run(['show', key, '--log'])).stdout).toContain('computing b: total 4');
    const bad = await p.run(['show', 'zzz']);
    expect(bad.code).toBe(2);
  });

  it('gc keeps pinned entries and those of the last runs, removes the rest; --dry-run removes nothing', async () => {
    const p = new Project();
    p.write('r.yaml', 'vars: { v: 1 }\nstages:\n  a: { plugin: ./plugins/count, params: { value: "${vars.v}" } }\n');
    for (const v of [1, 2, 3]) await p.run(['run', 'r.yaml', '--no-track', '-S', `vars.v=${v}`]);
    const count = () => readdirSync(join(p.dir, 'runs', 'store', 'objects')).flatMap((s) => readdirSync(join(p.dir, 'runs', 'store', 'objects', s))).length;
    expect(count()).toBe(3);
    const first = JSON.parse((await p.run(['show', 'last', '--json'])).stdout).nodes[0].key as string;
    expect((await p.run(['pin', 'last', '--name', 'paper'])).stdout).toContain('pinned 1 entry');
    const dry = await p.run(['gc', '--keep-runs', '0', '--dry-run']);
    expect(dry.stdout).toContain('would remove 2 entries');
    expect(count()).toBe(3);
    const real = await p.run(['gc', '--keep-runs', '0']);
    expect(real.code).toBe(0);
    expect(real.stdout).toContain('removed 2 entries');
    expect(count()).toBe(1);
    expect((await p.run(['pin', '--list'])).stdout).toContain(first);
  });

  it('plugins lists built-in plugins with params; command plugins run in any language', async () => {
    const p = new Project();
    const list = await p.run(['plugins']);
    expect(list.stdout).toMatch(/numbers@1\.0\.0/);
    expect(list.stdout).toMatch(/param\s+count: integer = 1000/);
    p.write('words.txt', 'one two three four\n');
    p.write('r.yaml', 'stages:\n  wc:\n    plugin: ./plugins/wordcount\n    inputs: { text: words.txt }\n    params: { multiplier: 3 }\n');
    const res = await p.run(['run', 'r.yaml', '--no-track', '--plain']);
    expect(res.code, res.stdout + res.stderr).toBe(0);
    expect(res.stdout).toContain('wc | counted 4 words');
    const node = JSON.parse((await p.run(['show', 'last', '--json'])).stdout).nodes[0].key as string;
    expect((await p.run(['show', node])).stdout).toContain('words = 12');
    // An external input is content-hashed: editing it is a miss, the same bytes are a hit.
    p.write('words.txt', 'one two\n');
    expect((await p.run(['plan', 'r.yaml'])).stdout).toMatch(/miss\s+wc\s+\w+\s+input changed \(text\)/);
    p.write('words.txt', 'one two three four\n');
    expect((await p.run(['plan', 'r.yaml'])).stdout).toMatch(/hit\s+wc/);
  });

  it('usage errors exit 2 with a hint; --help works for every command', async () => {
    const p = new Project();
    const unknown = await p.run(['rnu']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("unknown command 'rnu'; did you mean 'run'?");
    const badFlag = await p.run(['run', 'x.yaml', '--jobs', 'zero']);
    expect(badFlag.code).toBe(2);
    expect(badFlag.stderr).toContain('--jobs expects an integer');
    const badPlugin = await p.run(['plugins', 'bm52']);
    expect(badPlugin.code).toBe(2);
    expect(badPlugin.stderr).toMatch(/unknown plugin 'bm52'; did you mean 'bm25'\? \(built-in plugins: [^)]*\bbm25,/);
    expect(badPlugin.stderr).not.toMatch(/\n\s+at /);
    for (const cmd of ['run', 'plan', 'validate', 'dag', 'explain', 'show', 'report', 'gc', 'pin', 'plugins']) {
      const help = await p.run([cmd, '--help']);
      expect(help.code, cmd).toBe(0);
      expect(help.stdout, cmd).toContain(`Usage: retort ${cmd}`);
    }
    expect(existsSync(join(p.dir, 'runs', 'store'))).toBe(false);
    expect(readFileSync(join(p.dir, 'plugins', 'count', 'index.mjs'), 'utf8')).toContain("id: 'count'");
  });

  it('a recipe may name an npm package as its plugin; --force recomputes a cached stage', async () => {
    const p = new Project();
    p.write('node_modules/retort-plugin-hello/package.json', JSON.stringify({ name: 'retort-plugin-hello', version: '2.0.0', type: 'module', main: 'index.js' }));
    p.write('node_modules/retort-plugin-hello/index.js', `
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
export default {
  id: 'hello', version: '2.0.0', params: { type: 'object', properties: { who: { type: 'string', default: 'world' } } },
  outputs: { greeting: {} },
  run(ctx) { writeFileSync(join(ctx.output('greeting'), 'hello.txt'), 'hello ' + ctx.params.who + '\\n'); ctx.log.info('greeted ' + ctx.params.who); },
};`);
    p.write('r.yaml', 'stages:\n  greet:\n    plugin: retort-plugin-hello\n    params: { who: retort }\n');
    const res = await p.run(['run', 'r.yaml', '--no-track', '--plain']);
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toContain('greet | greeted retort');
    expect((await p.run(['plan', 'r.yaml', '--force', 'greet'])).stdout).toMatch(/miss\s+greet\s+\w+\s+forced/);
    const forced = await p.run(['run', 'r.yaml', '--no-track', '--force', 'greet', '--plain']);
    expect(forced.stdout).toContain('[ran] greet');
  });
});
