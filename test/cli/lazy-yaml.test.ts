// A plan that reuses its compiled recipe never parses YAML, so it must not pay for loading the
// yaml library (about 0.1 s of CPU in a fresh process). A probe preloaded into the CLI process
// counts the library's files in the require cache when the process exits. A no-op run with local
// tracking reads MLflow's meta.yaml files, in the form the file store writes, without the library.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Project } from '../e2e/harness.js';
import { writeEchoProject } from './echo-project.js';

const PROBE = `const { writeFileSync } = require('node:fs');
process.on('exit', () => {
  const files = Object.keys(require.cache).filter((p) => /[\\\\/]node_modules[\\\\/]yaml[\\\\/]/.test(p));
  writeFileSync(process.env.PROBE_OUT, String(files.length));
});
`;

describe('the yaml library on the plan path', () => {
  it('is loaded to compile a recipe and not when the compiled recipe is reused', async () => {
    const p = new Project();
    writeEchoProject(p, 'lazy-yaml');
    p.write('probe.cjs', PROBE);
    const out = join(p.dir, 'probe.txt');
    const yamlFilesLoaded = async (args: string[]): Promise<number> => {
      const r = await p.run(args, { NODE_OPTIONS: `--require ${join(p.dir, 'probe.cjs')}`, PROBE_OUT: out });
      expect(r.code, r.stderr).toBe(0);
      return Number(readFileSync(out, 'utf8'));
    };
    // The first plan compiles (and so parses the recipe); the second reuses that compile.
    expect(await yamlFilesLoaded(['plan', 'r.yaml'])).toBeGreaterThan(0);
    expect(await yamlFilesLoaded(['plan', 'r.yaml'])).toBe(0);
    const run = await p.run(['run', 'r.yaml', '--no-track', '--plain']);
    expect(run.code, run.stderr).toBe(0);
    expect(await yamlFilesLoaded(['plan', 'r.yaml'])).toBe(0);
    // A no-op run tracked to the local MLflow store reads the experiments' meta.yaml without it too.
    expect(await yamlFilesLoaded(['run', 'r.yaml', '--plain'])).toBe(0);
    expect(await yamlFilesLoaded(['run', 'r.yaml', '--plain'])).toBe(0);
    expect(readdirSync(join(p.dir, 'runs', 'mlruns')).length).toBeGreaterThan(1);
  }, 60_000);
});
