// A plan that reuses its compiled recipe never parses YAML, and a recipe in plain block YAML is read
// without the library, so neither pays for loading it (about 0.1 s of CPU in a fresh process). A probe
// preloaded into the CLI process counts the library's files in the require cache when the process exits. A no-op run with local
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
  it('is loaded to compile a recipe outside plain block YAML only, and not when the compiled recipe is reused', async () => {
    const p = new Project();
    writeEchoProject(p, 'lazy-yaml');
    p.write('probe.cjs', PROBE);
    const out = join(p.dir, 'probe.txt');
    const yamlFilesLoaded = async (args: string[]): Promise<number> => {
      const r = await p.run(args, { NODE_OPTIONS: `--require ${join(p.dir, 'probe.cjs')}`, PROBE_OUT: out });
      expect(r.code, r.stderr).toBe(0);
      return Number(readFileSync(out, 'utf8'));
    };
    // The first plan compiles a recipe in plain block YAML, which is read without the library
    // (src/recipe/yaml-block.ts); the second reuses that compile.
    expect(await yamlFilesLoaded(['plan', 'r.yaml'])).toBe(0);
    expect(await yamlFilesLoaded(['plan', 'r.yaml'])).toBe(0);
    // A recipe outside that subset (here a flow mapping) is parsed by the library.
    p.write('flow.yaml', 'name: flow\nstages:\n  one: { plugin: ./echo, params: { n: 2 } }\n');
    expect(await yamlFilesLoaded(['plan', 'flow.yaml'])).toBeGreaterThan(0);
    const run = await p.run(['run', 'r.yaml', '--no-track', '--plain']);
    expect(run.code, run.stderr).toBe(0);
    expect(await yamlFilesLoaded(['plan', 'r.yaml'])).toBe(0);
    // A no-op run tracked to the local MLflow store reads the experiments' meta.yaml without it too.
    expect(await yamlFilesLoaded(['run', 'r.yaml', '--plain'])).toBe(0);
    expect(await yamlFilesLoaded(['run', 'r.yaml', '--plain'])).toBe(0);
    expect(readdirSync(join(p.dir, 'runs', 'mlruns')).length).toBeGreaterThan(1);
  }, 60_000);
});
