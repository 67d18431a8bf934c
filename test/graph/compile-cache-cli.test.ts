// The compiled-plan cache through the CLI, where each command is a new process: a plugin's version
// or code changed between two plans is seen, and the plan equals the one a fresh compile gives.
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Project } from '../e2e/harness.js';

const PLUGIN = (version: string, body = '') => `import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
export default {
  id: 'twice', version: '${version}',
  params: { type: 'object', additionalProperties: false, properties: { n: { type: 'integer' } } },
  outputs: { out: {} },
  run(ctx) { ${body}writeFileSync(join(ctx.output('out'), 'v.txt'), String(ctx.params.n * 2)); },
};
`;

const RECIPE = `name: twice
vars:
  ns: [1, 2]
stages:
  double:
    plugin: ./twice
    foreach: \${vars.ns}
    params:
      n: \${item}
`;

interface PlannedNode { id: string; key: string; status: string; reason?: string }

describe('compiled-plan cache across processes', () => {
  it("a plugin's new version or new code changes the plan as a fresh compile would", async () => {
    const p = new Project();
    p.write('twice/index.mjs', PLUGIN('1'));
    p.write('r.yaml', RECIPE);
    const cacheDir = join(p.dir, 'runs', 'store', 'compiled');
    const plan = async (): Promise<PlannedNode[]> => {
      const r = await p.run(['plan', 'r.yaml', '--json']);
      expect(r.code, r.stderr).toBe(0);
      return JSON.parse(r.stdout) as PlannedNode[];
    };
    /** The plan from the cache, then the same plan with the cache removed (a fresh compile). */
    const planBoth = async () => {
      const cached = await plan();
      rmSync(cacheDir, { recursive: true, force: true });
      const fresh = await plan();
      expect(cached).toEqual(fresh);
      return cached;
    };

    const run = await p.run(['run', 'r.yaml', '--no-track', '--plain']);
    expect(run.code, run.stderr).toBe(0);
    expect(existsSync(cacheDir)).toBe(true);
    const cached = await planBoth();
    expect(cached.map((n) => n.status)).toEqual(['hit', 'hit']);

    p.write('twice/index.mjs', PLUGIN('2'));
    const bumped = await planBoth();
    expect(bumped.map((n) => n.status)).toEqual(['miss', 'miss']);
    expect(bumped[0]!.key).not.toBe(cached[0]!.key);

    p.write('twice/index.mjs', PLUGIN('2', '/* same version, other code */ '));
    const edited = await planBoth();
    expect(edited[0]!.key).not.toBe(bumped[0]!.key);
    expect(edited[0]!.reason).toBe('plugin');
  }, 120_000);
});
