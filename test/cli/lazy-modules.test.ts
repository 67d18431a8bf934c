// A plan or a no-op run that reuses its compiled recipe loads none of the engine's code it does not
// run: not the compiler (nor the sweep compiler it goes through), no executor for a plan and not
// Slurm's for a local run, not the report renderer of a recipe without tables, not the MLflow REST
// client when tracking to the local store; a run with nothing to run loads no executor, and an
// untracked run no MLflow backend. Each module costs its load in every process. A resolve
// hook preloaded into the CLI process writes down every engine module it loads.
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Project } from '../e2e/harness.js';
import { writeEchoProject } from './echo-project.js';

const HOOKS = `import { appendFileSync } from 'node:fs';
export async function resolve(specifier, context, next) {
  const found = await next(specifier, context);
  appendFileSync(process.env.PROBE_OUT, found.url + '\\n');
  return found;
}
`;

const REGISTER = `import { register } from 'node:module';
register('./hooks.mjs', import.meta.url);
`;

/** Engine modules a reused plan or a no-op run must not load. */
const UNNEEDED = [
  /\/src\/graph\/compile\.js$/, /\/src\/sweep\/prepare\.js$/, /\/src\/sweep\/compile-sweep\.js$/,
  /\/src\/exec\/slurm\//, /\/src\/report\/(?!mlflow-artifacts\.js$)/, /\/src\/track\/(http-transport|mlflow-rest|rest-backend|spool-sync)\.js$/,
];

describe('engine modules on the cached path', () => {
  it('are loaded to compile, and neither the compiler nor Slurm, report or REST code when the compile is reused', async () => {
    const p = new Project();
    writeEchoProject(p, 'lazy-modules');
    p.write('hooks.mjs', HOOKS);
    p.write('register.mjs', REGISTER);
    const out = join(p.dir, 'probe.txt');
    const loaded = async (args: string[]): Promise<string[]> => {
      rmSync(out, { force: true });
      const r = await p.run(args, { NODE_OPTIONS: `--import ${join(p.dir, 'register.mjs')}`, PROBE_OUT: out });
      expect(r.code, r.stderr).toBe(0);
      return [...new Set(readFileSync(out, 'utf8').split('\n').filter((url) => url.includes('/dist/src/')))];
    };
    const unneeded = (urls: string[]) => urls.filter((url) => UNNEEDED.some((re) => re.test(url)));
    // The first plan compiles: the probe sees the compiler, and none of the sweep code (compiler, searches,
    // reports) of a recipe without a sweep.
    const sweepCode = (urls: string[]) => urls.filter((url) => /\/src\/sweep\/(compile-sweep|changes|view|state)\.js$|\/src\/sweep\/(adaptive|search)\//.test(url));
    const first = await loaded(['plan', 'r.yaml']);
    expect(unneeded(first)).toEqual(expect.arrayContaining([expect.stringMatching(/\/src\/graph\/compile\.js$/)]));
    expect(sweepCode(first)).toEqual([]);
    const plan = await loaded(['plan', 'r.yaml']);
    expect(unneeded(plan)).toEqual([]);
    expect(sweepCode(plan)).toEqual([]);
    // A plan runs nothing: no executor, no scheduler.
    expect(plan.filter((url) => url.includes('/src/exec/'))).toEqual([]);
    const run = await p.run(['run', 'r.yaml', '--plain']);
    expect(run.code, run.stderr).toBe(0);
    // A no-op run tracked to the local MLflow store (the default), and the plan after it.
    const noop = await loaded(['run', 'r.yaml', '--plain']);
    expect(noop.some((url) => url.endsWith('/src/track/mlflow-observer.js'))).toBe(true);
    expect(unneeded(noop)).toEqual([]);
    // Nothing to run: no executor's process or runner-pool code.
    expect(noop.filter((url) => /\/src\/exec\/(local-executor|local-process|runner-pool)\.js$/.test(url))).toEqual([]);
    // Not tracked: none of the MLflow backends (only the spool is looked at, for its warning).
    const untracked = await loaded(['run', 'r.yaml', '--plain', '--no-track']);
    expect(untracked.filter((url) => /\/src\/track\/(index|mlflow-observer|file-store|space-reserve)\.js$/.test(url))).toEqual([]);
    expect(untracked.some((url) => url.endsWith('/src/track/spool-journal.js'))).toBe(true);
    expect(unneeded(await loaded(['plan', 'r.yaml']))).toEqual([]);
  }, 60_000);
});
