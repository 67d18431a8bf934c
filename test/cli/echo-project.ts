// A one-node project for tests of what the CLI process loads: a plugin that writes its param, and a
// recipe with one stage of it.
import type { Project } from '../e2e/harness.js';

const PLUGIN = `import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
export default {
  id: 'echo', version: '1',
  params: { type: 'object', additionalProperties: false, properties: { n: { type: 'integer' } } },
  outputs: { out: {} },
  run(ctx) { writeFileSync(join(ctx.output('out'), 'v.txt'), String(ctx.params.n)); },
};
`;

/** Writes `echo/index.mjs` and `r.yaml` (recipe `name`, one stage `one`) into the project. */
export function writeEchoProject(p: Project, name: string): void {
  p.write('echo/index.mjs', PLUGIN);
  p.write('r.yaml', `name: ${name}\nstages:\n  one:\n    plugin: ./echo\n    params:\n      n: 1\n`);
}
