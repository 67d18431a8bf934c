// `retort` on the PATH from a checkout: a global install of the checkout folder (what `npm link`
// does) into a temporary prefix, offline, then run from an unrelated folder.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { collect, ROOT } from './harness.js';

const made: string[] = [];
afterAll(() => { for (const dir of made) rmSync(dir, { recursive: true, force: true }); });
const temp = (prefix: string) => { const dir = mkdtempSync(join(tmpdir(), prefix)); made.push(dir); return dir; };

describe('global install from the checkout', () => {
  it('npm install -g --prefix <tmp> <checkout> gives a retort that runs from any folder', async () => {
    const prefix = temp('retort-prefix-');
    // The checkout is built already (dist/); --ignore-scripts skips rebuilding it.
    execFileSync('npm', ['install', '-g', '--prefix', prefix, '--offline', '--no-audit', '--no-fund', '--ignore-scripts', ROOT], { stdio: 'pipe' });
    const elsewhere = temp('retort-elsewhere-');
    const env: NodeJS.ProcessEnv = { ...process.env, PATH: `${join(prefix, 'bin')}:${process.env.PATH}` };
    delete env.MLFLOW_TRACKING_URI;
    const help = await collect(spawn('retort', ['--help'], { cwd: elsewhere, env, stdio: ['ignore', 'pipe', 'pipe'] }));
    expect(help.code, help.stderr).toBe(0);
    expect(help.stdout).toContain('Usage: retort <command> [options]');
    writeFileSync(join(elsewhere, 'r.yaml'), 'stages:\n  n:\n    plugin: numbers\n    params: { count: 10 }\n');
    const run = await collect(spawn('retort', ['run', 'r.yaml', '--no-track', '--plain'], { cwd: elsewhere, env, stdio: ['ignore', 'pipe', 'pipe'] }));
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(run.stdout).toContain('1 ran, 0 cached, 0 failed');
  });
});
