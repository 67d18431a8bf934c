// Secret values never reach the terminal, the stored log or a message; the recipe cannot interpolate them.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Project } from './harness.js';

const SECRETS = { OPENAI_API_KEY: 'sk-test-0123456789', HF_TOKEN: 'hf_test_abcdefgh', MY_SECRET: 'hunter2-xyz', RETORT_SECRET_VARS: 'MY_SECRET' };

describe('secrets (end to end)', () => {
  it('are masked in node logs on the terminal, in the stored log and in failure messages', async () => {
    const p = new Project();
    p.write('leaky/index.mjs', `export default { id: 'leaky', version: '1', params: { type: 'object' }, outputs: { out: {} },
  run(ctx) { ctx.log.info('token ' + process.env.HF_TOKEN); const e = new Error('bad key ' + process.env.MY_SECRET); e.expected = true; throw e; } };\n`);
    p.write('r.yaml', `
stages:
  talk:
    plugin: shell
    params: { command: 'echo "key=$OPENAI_API_KEY mine=$MY_SECRET"; echo "err $HF_TOKEN" >&2' }
  leak:
    plugin: ./leaky
`);
    const res = await p.run(['run', 'r.yaml', '--no-track', '--plain', '--keep-going'], SECRETS);
    expect(res.code, res.stdout + res.stderr).toBe(1);
    const all = res.stdout + res.stderr;
    expect(all).toContain('talk | key=*** mine=***');
    expect(all).toContain('talk | err ***');
    expect(all).toContain('leak | token ***');
    expect(res.stderr).toContain('failed: leak: bad key ***');
    for (const value of Object.values(SECRETS).slice(0, 3)) expect(all).not.toContain(value);

    const show = await p.run(['show', 'last', '--json']);
    const record = JSON.parse(show.stdout) as { nodes: { id: string; key: string; error?: string }[] };
    expect(record.nodes.find((n) => n.id === 'leak')!.error).toBe('bad key ***');
    const talkKey = record.nodes.find((n) => n.id === 'talk')!.key;
    const log = readFileSync(join(p.dir, 'runs', 'store', 'objects', talkKey.slice(0, 2), talkKey, 'log.txt'), 'utf8');
    expect(log).toContain('key=*** mine=***');
    for (const value of Object.values(SECRETS).slice(0, 3)) expect(log).not.toContain(value);
  });

  it('interpolated into params is refused with a located error pointing at the plugin env', async () => {
    const p = new Project();
    p.write('r.yaml', 'stages:\n  s:\n    plugin: shell\n    params: { command: "curl -H \'Authorization: ${env:OPENAI_API_KEY}\'" }\n');
    const res = await p.run(['run', 'r.yaml', '--no-track'], SECRETS);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('r.yaml:4:');
    expect(res.stderr).toContain('OPENAI_API_KEY is a secret (RETORT_SECRET_VARS or a known credential) and cannot be interpolated into the recipe');
    expect(res.stderr).toContain("declare it in the plugin's env (env: [OPENAI_API_KEY]) and read it there");
    expect(res.stderr).not.toContain(SECRETS.OPENAI_API_KEY);
  });
});
