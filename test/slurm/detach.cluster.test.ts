// `retort run --executor slurm --detach` then `retort status`, through the compiled CLI on the real
// cluster: the run submits and exits with its id, its jobs publish by themselves, and status shows
// the run, follows it to the end with the summary and tables a run prints, and settles its record.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { RunRecord } from '../../src/store/runs.js';
import { BIN, Project, ROOT } from '../e2e/harness.js';
import { HOW_TO_START, SKIP_WITHOUT_SLURM, SLURM_CONF, SLURM_UP } from './cluster.js';

const RECIPE = `stages:
  a: { plugin: ./plugins/count, params: { value: 1, sleepMs: 300 } }
  c:
    plugin: ./plugins/count
    foreach: [1, 2]
    params: { value: "\${item}", label: fan }
    inputs: { in: "\${stages.a.outputs.out}" }
  d: { plugin: ./plugins/count, inputs: { in: ["\${stages.c[1].outputs.out}", "\${stages.c[2].outputs.out}"] } }
report:
  tables:
    - { stage: c, row: item, metrics: [total] }
`;

const slurm = { SLURM_CONF: SLURM_CONF ?? '' };
const readRecord = (p: Project, runId: string) => JSON.parse(readFileSync(join(p.dir, 'runs', 'records', `${runId}.json`), 'utf8')) as RunRecord;
const table = (stdout: string) => stdout.slice(stdout.indexOf('### c'));

beforeAll(() => {
  if (!SKIP_WITHOUT_SLURM && !existsSync(join(ROOT, 'dist', 'src', 'cli', 'commands', 'status.js'))) throw new Error(`compile first: npx tsc -p tsconfig.json (${BIN} runs dist/)`);
});

describe.skipIf(SKIP_WITHOUT_SLURM)('detached Slurm runs', () => {
  it('reaches the cluster', () => { expect(SLURM_UP, HOW_TO_START).toBe(true); });

  it('--detach submits, prints the run id and exits 0; status shows it, then follows it to the same end as a local run', async () => {
    const p = new Project('retort-slurm-detach-');
    p.write('r.yaml', RECIPE);
    const local = await p.run(['run', 'r.yaml', '--no-track', '--plain'], { RETORT_RUNS_DIR: join(p.dir, 'local') });
    expect(local.code, local.stderr).toBe(0);
    p.resetExecutions();

    const detached = await p.run(['run', 'r.yaml', '--executor', 'slurm', '--detach', '--no-track'], slurm);
    expect(detached.code, detached.stdout + detached.stderr).toBe(0);
    const runId = detached.stdout.trim().split('\n').at(-1)!;
    expect(detached.stdout).toMatch(/4 nodes: 0 cached, 4 submitted as Slurm jobs/);
    const record = readRecord(p, runId);
    expect(record.status).toBe('detached');
    expect(record.slurm).toEqual({ dir: join(p.dir, 'runs', 'slurm', runId), store: join(p.dir, 'runs', 'store') });
    expect(record.nodes.map((n) => [n.id, /^\d+$/.test(n.job ?? '')])).toEqual([['a', true], ['c[1]', true], ['c[2]', true], ['d', true]]);

    const shown = await p.run(['status', runId], slurm);
    expect(shown.code, shown.stderr).toBe(0);
    for (const n of record.nodes) expect(shown.stdout).toMatch(new RegExp(`\\s${n.id.replace(/[[\]]/g, '\\$&')}\\s+job ${n.job}`));

    // A prefix of the id is enough, as for `retort show`.
    const followed = await p.run(['status', runId.slice(0, 17), '--follow'], slurm);
    expect(followed.code, followed.stdout + followed.stderr).toBe(0);
    expect(followed.stdout).toMatch(/4 ran, 0 cached, 0 failed in [\d.]+s \(run /);
    expect(table(followed.stdout)).toBe(table(local.stdout));
    expect(p.executions().sort()).toEqual(['a', 'c[1]', 'c[2]', 'd']);
    const settled = readRecord(p, runId);
    expect(settled.status).toBe('ok');
    expect(settled.nodes.map((n) => n.outcome)).toEqual(['ran', 'ran', 'ran', 'ran']);

    // The jobs published: a run now is all hits and submits nothing.
    const again = await p.run(['run', 'r.yaml', '--executor', 'slurm', '--detach', '--no-track'], slurm);
    expect(again.stdout).toMatch(/4 nodes: 4 cached, 0 submitted/);
  }, 60_000);

  it('an unknown run id is a usage error with a did-you-mean; --detach without Slurm is refused', async () => {
    const p = new Project('retort-slurm-status-');
    p.write('r.yaml', RECIPE);
    const detached = await p.run(['run', 'r.yaml', '--executor', 'slurm', '--detach', '--no-track', '--target', 'a'], slurm);
    const runId = detached.stdout.trim().split('\n').at(-1)!;
    const typo = runId.slice(0, -1) + (runId.endsWith('0') ? '1' : '0');
    const res = await p.run(['status', typo], slurm);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain(`no run '${typo}'; did you mean '${runId}'?`);
    const local = await p.run(['run', 'r.yaml', '--detach', '--no-track'], slurm);
    expect(local.code).toBe(2);
    expect(local.stderr).toContain('--detach needs the slurm executor');
    const help = await p.run(['status', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: retort status <run-id|prefix|last> [--follow]');
    await p.run(['status', runId, '--follow'], slurm); // leaves no job behind
  }, 60_000);
});
