import { chmodSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CHAIN_WITH_ISLAND } from './chain-recipe.js';
import { Project } from './harness.js';

describe('caching (end to end)', () => {
  it('runs everything once, then nothing; a param change re-runs exactly its downstream set; reverting is a hit', async () => {
    const p = new Project();
    p.write('chain.yaml', CHAIN_WITH_ISLAND);
    const first = await p.run(['run', 'chain.yaml', '--no-track']);
    expect(first.code, first.stderr).toBe(0);
    expect(p.executions().sort()).toEqual(['a', 'b', 'c', 'd']);

    p.resetExecutions();
    const second = await p.run(['run', 'chain.yaml', '--no-track']);
    expect(second.code).toBe(0);
    expect(p.executions()).toEqual([]);
    expect(second.stdout).toContain('nothing to do: every node was cached');
    expect(second.stdout).toContain('0 ran, 4 cached');

    p.resetExecutions();
    const plan = await p.run(['plan', 'chain.yaml', '-S', 'vars.b=20']);
    expect(plan.stdout).toMatch(/miss\s+b\s+\w+\s+params changed: value 10 → 20/);
    expect(plan.stdout).toMatch(/miss\s+c\s+\w+\s+upstream changed \(in\)/);
    expect(plan.stdout).toMatch(/hit\s+a\s/);
    const changed = await p.run(['run', 'chain.yaml', '--no-track', '-S', 'vars.b=20']);
    expect(changed.code).toBe(0);
    expect(p.executions().sort()).toEqual(['b', 'c']);
    const record = JSON.parse((await p.run(['show', 'last', '--json'])).stdout) as { status: string; nodes: { id: string; outcome: string }[] };
    expect(record.status).toBe('ok');
    expect(Object.fromEntries(record.nodes.map((n) => [n.id, n.outcome]))).toEqual({ a: 'hit', b: 'ran', c: 'ran', d: 'hit' });

    p.resetExecutions();
    const reverted = await p.run(['run', 'chain.yaml', '--no-track']);
    expect(reverted.code).toBe(0);
    expect(p.executions()).toEqual([]);
  });

  it('a plugin version or code change misses; explain names the component', async () => {
    const p = new Project();
    p.write('r.yaml', 'stages:\n  a:\n    plugin: ./plugins/count\n');
    expect((await p.run(['run', 'r.yaml', '--no-track'])).code).toBe(0);
    const entry = join(p.dir, 'plugins', 'count', 'index.mjs');
    writeFileSync(entry, readFileSync(entry, 'utf8').replace("version: '1.0.0'", "version: '1.1.0'"));
    p.resetExecutions();
    const plan = await p.run(['plan', 'r.yaml']);
    expect(plan.stdout).toMatch(/miss\s+a\s+\w+\s+plugin changed \(codeDigest, version\)/);
    const explain = await p.run(['explain', 'r.yaml', 'a']);
    expect(explain.stdout).toContain('plugin.version: "1.0.0" → "1.1.0"');
    expect((await p.run(['run', 'r.yaml', '--no-track'])).code).toBe(0);
    expect(p.executions()).toEqual(['a']);
  });

  it('foreach nodes with equal keys run once; repeat unrolls with prev outputs', async () => {
    const p = new Project();
    p.write('r.yaml', `
stages:
  same:
    plugin: ./plugins/count
    foreach: [x, y, z]
    params: { value: 5 }
  loop:
    plugin: ./plugins/count
    repeat: 3
    inputs: { in: "\${prev.outputs.out}" }
    initial: { in: "\${stages.same[x].outputs.out}" }
    params: { value: "\${iter}" }
  last:
    plugin: ./plugins/count
    inputs: { in: "\${stages.loop.outputs.out}" }
    params: { value: 0 }
report:
  tables:
    - stage: loop
      metrics: [total]
      digits: 0
`);
    const res = await p.run(['run', 'r.yaml', '--no-track', '--plain']);
    expect(res.code, res.stderr).toBe(0);
    const ran = p.executions();
    expect(ran.filter((id) => id.startsWith('same[')).length).toBe(1);
    expect(ran.filter((id) => id.startsWith('loop#'))).toEqual(['loop#0', 'loop#1', 'loop#2']);
    // loop#0 = 5 + 0, loop#1 = 5 + 1, loop#2 = 6 + 2; last = 8
    expect(res.stdout).toMatch(/\| 0\s+\|\s+5 \|/);
    expect(res.stdout).toMatch(/\| 2\s+\|\s+8 \|/);
    expect(res.stdout).toMatch(/\[ran\] same\[\w\].*\n(.|\n)*same key as/);
  });

  it('a failing node is not cached; --keep-going finishes independent branches; a crash fails only its node', async () => {
    const p = new Project();
    p.write('r.yaml', `
vars: { fail: true }
stages:
  bad:
    plugin: ./plugins/count
    params: { fail: "\${vars.fail}", sleepMs: 100 }
  after-bad:
    plugin: ./plugins/count
    inputs: { in: "\${stages.bad.outputs.out}" }
  crash:
    plugin: ./plugins/count
    params: { crash: exit }
  good:
    plugin: ./plugins/count
    params: { value: 2, sleepMs: 300 }
  after-good:
    plugin: ./plugins/count
    inputs: { in: "\${stages.good.outputs.out}" }
  command-fails:
    plugin: shell
    params: { command: "echo trying; exit 4" }
`);
    const res = await p.run(['run', 'r.yaml', '--no-track', '--keep-going', '-j', '2', '--plain']);
    expect(res.code).toBe(1);
    expect(res.stdout).toMatch(/\[failed\] bad.*bad failed on purpose/);
    // An exception in plugin code is shown with its stack; a failure the user caused is its message alone.
    expect(res.stdout).toMatch(/ bad \| +at .*index\.mjs/);
    expect(res.stdout).toMatch(/\[failed\] command-fails.*command exited with code 4/);
    expect(res.stdout).toMatch(/command-fails \| trying/);
    expect(res.stdout).not.toMatch(/command-fails \| +at /);
    expect(res.stdout).toMatch(/\[failed\] crash.*exited with code 3/);
    expect(res.stdout).toMatch(/\[skipped\] after-bad: upstream bad failed/);
    expect(res.stdout).toMatch(/\[ran\] after-good/);
    p.resetExecutions();
    const again = await p.run(['run', 'r.yaml', '--no-track', '--keep-going', '-S', 'vars.fail=false', '-S', 'stages.crash.params.crash=none', '-S', 'stages.command-fails.params.command=true']);
    expect(again.code, again.stdout + again.stderr).toBe(0);
    expect(p.executions().sort()).toEqual(['after-bad', 'bad', 'crash']);
  });

  it('without --keep-going, nothing new starts after a failure (exit 1)', async () => {
    const p = new Project();
    p.write('r.yaml', `
stages:
  bad: { plugin: ./plugins/count, params: { fail: true } }
  later: { plugin: ./plugins/count, inputs: { in: "\${stages.bad.outputs.out}" } }
  other1: { plugin: ./plugins/count, params: { value: 1, sleepMs: 400 } }
  other2: { plugin: ./plugins/count, params: { value: 2 } }
  other3: { plugin: ./plugins/count, params: { value: 3 } }
`);
    const res = await p.run(['run', 'r.yaml', '--no-track', '-j', '1', '--plain']);
    expect(res.code).toBe(1);
    expect(p.executions()).toEqual(['bad']);
    expect(res.stdout).toMatch(/not started after an earlier failure/);
  });

  it('an out-of-memory node fails alone', async () => {
    const p = new Project();
    p.write('r.yaml', `
stages:
  hog:
    plugin: ./plugins/count
    params: { crash: oom }
    resources: { memoryMb: 64 }
  fine: { plugin: ./plugins/count }
`);
    const res = await p.run(['run', 'r.yaml', '--no-track', '--keep-going', '--plain', '--quiet']);
    expect(res.code).toBe(1);
    expect(res.stdout).toMatch(/\[failed\] hog/);
    expect(res.stdout).toMatch(/\[ran\] fine/);
  });

  it('a corrupted artifact is detected, reported and recomputed', async () => {
    const p = new Project();
    p.write('r.yaml', 'stages:\n  a: { plugin: ./plugins/count, params: { value: 7 } }\n');
    expect((await p.run(['run', 'r.yaml', '--no-track'])).code).toBe(0);
    const objects = join(p.dir, 'runs', 'store', 'objects');
    const shard = readdirSync(objects)[0]!;
    const key = readdirSync(join(objects, shard))[0]!;
    const file = join(objects, shard, key, 'out', 'out', 'value.json');
    chmodSync(file, 0o644);
    writeFileSync(file, '{"total": 99}\n');
    p.resetExecutions();
    const plan = await p.run(['plan', 'r.yaml']);
    expect(plan.stdout).toMatch(/miss\s+a\s+\w+\s+stored entry is corrupt/);
    const res = await p.run(['run', 'r.yaml', '--no-track']);
    expect(res.code).toBe(0);
    expect(p.executions()).toEqual(['a']);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ total: 7 });
  });

  it('stored logs are replayed on a hit', async () => {
    const p = new Project();
    p.write('r.yaml', 'stages:\n  a: { plugin: ./plugins/count, params: { value: 3 } }\n');
    await p.run(['run', 'r.yaml', '--no-track']);
    const res = await p.run(['run', 'r.yaml', '--no-track', '--plain']);
    expect(res.stdout).toContain('a (cached) | computing a: total 3');
  });

  it('a long log is replayed as its tail with a pointer to the rest; --logs all and none', async () => {
    const p = new Project();
    p.write('r.yaml', 'stages:\n  talk: { plugin: shell, params: { command: "for i in 1 2 3 4 5 6 7 8; do echo line $i; done" } }\n');
    await p.run(['run', 'r.yaml', '--no-track']);
    const tail = await p.run(['run', 'r.yaml', '--no-track', '--plain']);
    const pointer = /talk \(cached\) \| … 3 earlier lines \(retort show ([0-9a-f]{12}) --log\)/.exec(tail.stdout);
    expect(pointer, tail.stdout).not.toBeNull();
    expect(tail.stdout).toContain('talk (cached) | line 4');
    expect(tail.stdout).toContain('talk (cached) | line 8');
    expect(tail.stdout).not.toContain('| line 3');
    const shown = await p.run(['show', pointer![1]!, '--log']);
    expect(shown.stdout).toContain('line 1');
    const all = await p.run(['run', 'r.yaml', '--no-track', '--plain', '--logs', 'all']);
    expect(all.stdout).toContain('talk (cached) | line 1');
    expect(all.stdout).not.toContain('earlier line');
    const none = await p.run(['run', 'r.yaml', '--no-track', '--plain', '--logs', 'none']);
    expect(none.stdout).not.toContain('| line');
    const bad = await p.run(['run', 'r.yaml', '--logs', 'some']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("--logs expects tail, all or none, got 'some'");
  });
});

describe('forced recomputation (end to end)', () => {
  it('says whether the recomputed outputs are identical to the entry they replace, and which files changed', async () => {
    const p = new Project();
    const plugin = (id: string, body: string) => `import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
export default { id: '${id}', version: '1', params: { type: 'object' }, outputs: { out: {} },
  async run(ctx) { const dir = ctx.output('out'); writeFileSync(join(dir, 'fixed.txt'), 'same bytes'); ${body} } };
`;
    p.write('plugins/steady/index.mjs', plugin('steady', ''));
    p.write('plugins/drifting/index.mjs', plugin('drifting', "writeFileSync(join(dir, 'stamp.txt'), String(process.hrtime.bigint()));"));
    p.write('r.yaml', 'stages:\n  steady: { plugin: ./plugins/steady }\n  drifting: { plugin: ./plugins/drifting }\n');
    expect((await p.run(['run', 'r.yaml', '--no-track', '--plain'])).code).toBe(0);
    const forced = await p.run(['run', 'r.yaml', '--no-track', '--plain', '--force', 'steady', '--force', 'drifting']);
    expect(forced.code, forced.stdout + forced.stderr).toBe(0);
    expect(forced.stdout).toMatch(/\[ran\] steady \([^)]*\): outputs identical to the entry it replaced/);
    expect(forced.stdout).toMatch(/\[ran\] drifting \([^)]*\): outputs differ from the entry it replaced \(1 file: out\/stamp\.txt\)/);
    const record = JSON.parse((await p.run(['show', 'last', '--json'])).stdout) as { nodes: { id: string; recomputed?: unknown }[] };
    expect(Object.fromEntries(record.nodes.map((n) => [n.id, n.recomputed]))).toEqual({
      steady: { identical: true, changed: [] },
      drifting: { identical: false, changed: ['out/stamp.txt'] },
    });
    // A node forced for the first time has nothing to compare with: no claim either way.
    const fresh = await p.run(['run', 'r.yaml', '--no-track', '--plain', '--force', 'steady', '-S', 'stages.steady.params.x=1']);
    expect(fresh.stdout).toMatch(/\[ran\] steady \([^)]*\)\n/);
  });
});
