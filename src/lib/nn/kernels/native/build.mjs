#!/usr/bin/env node
// Builds the optional BLAS addon (retort_blas.node) at install time. It must never fail an
// install: a missing compiler, missing Node headers or missing CBLAS ends with one line saying
// what was skipped, and exit code 0. Node-API headers come from the Node installation itself
// (no download), so this works offline; RETORT_NO_NATIVE=1 skips the build.
//
//   node src/lib/nn/kernels/native/build.mjs [--verbose]
import { spawnSync } from 'node:child_process';
import { mkdirSync, renameSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { nodeApiIncludeDir } from '../../native-headers.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const verbose = process.argv.includes('--verbose');
const skip = (why) => {
  console.log(`retort: optional BLAS kernels not built (${why}); the wasm backend will be used`);
  process.exit(0);
};

try {
  if (process.env.RETORT_NO_NATIVE === '1') skip('RETORT_NO_NATIVE=1');
  const nodeInclude = nodeApiIncludeDir();
  if (nodeInclude === undefined) skip('no Node-API headers (node_api.h) next to this Node');
  const cc = process.env.CC ?? 'cc';
  if (spawnSync(cc, ['--version'], { stdio: 'ignore' }).status !== 0) skip(`no C compiler (${cc})`);

  const outDir = join(here, 'build');
  mkdirSync(outDir, { recursive: true });
  const tmp = join(outDir, `retort_blas.${process.pid}.node`);
  const args = ['-O2', '-std=c11', '-fPIC', '-shared', '-DNAPI_VERSION=8', '-DNODE_GYP_MODULE_NAME=retort_blas',
    `-I${nodeInclude}`, join(here, 'retort_blas.c'), '-o', tmp, '-lopenblas', '-lm'];
  if (process.platform === 'darwin') args.push('-undefined', 'dynamic_lookup');
  const r = spawnSync(cc, args, { encoding: 'utf8' });
  if (r.status !== 0) {
    rmSync(tmp, { force: true });
    const first = (r.stderr || r.error?.message || '').split('\n').find((l) => /error|cannot find/i.test(l)) ?? 'compiler failed';
    if (verbose) console.log(r.stderr);
    skip(/cblas\.h|lopenblas/.test(r.stderr ?? '') ? 'no OpenBLAS development files (Debian: libopenblas-dev)' : first.trim());
  }
  renameSync(tmp, join(outDir, 'retort_blas.node'));
  console.log(`retort: built optional BLAS kernels (${join(outDir, 'retort_blas.node')})`);
} catch (e) {
  skip(e instanceof Error ? e.message : String(e));
}
