#!/usr/bin/env node
// noUncheckedIndexedAccess, folder by folder: the folders listed here must type-check with it (an
// index or a record lookup may be undefined), the rest of the tree still compiles without it. The
// list grows until it is the whole tree and the flag moves into tsconfig.json.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';

const CHECKED = [
  'src/cli/',
  'src/exec/',
  'src/util/',
  'src/graph/',
  'src/recipe/',
  'src/sweep/',
  'src/report/',
  'src/store/',
  'src/track/',
  'src/plugin/',
  'plugins/',
  'src/lib/',
];

const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const out = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.json', '--noEmit', '--noUncheckedIndexedAccess', '--pretty', 'false'], { encoding: 'utf8' });
const errors = out.stdout.split('\n').filter((line) => {
  const file = /^([^(]+)\(\d+,\d+\): error /.exec(line)?.[1];
  return file !== undefined && CHECKED.some((dir) => file.startsWith(dir));
});
if (errors.length) {
  process.stderr.write(`${errors.join('\n')}\n${errors.length} unchecked index access${errors.length > 1 ? 'es' : ''} in ${CHECKED.join(', ')} (scripts/check-indexed-access.mjs)\n`);
  process.exit(1);
}
process.stdout.write(`indexed access checked in ${CHECKED.join(', ')}\n`);
