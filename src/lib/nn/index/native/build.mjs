#!/usr/bin/env node
// Builds the optional HNSW addon (retort_hnsw.node) at install time, against the hnswlib headers
// that hnswlib-node ships. Like the BLAS addon's build it never fails an install: a missing C++
// compiler, Node-API headers or hnswlib-node ends with one line saying what was skipped and exit
// code 0, and HnswIndex then searches through hnswlib-node one query at a time.
// The flags are hnswlib-node's own release flags (-O3, no -march): the same code compiled the
// same way builds the same graphs and writes the same files. The AVX2 search kernels
// (distances.h) are compiled per function and only called when the CPU has AVX2, so the build
// stays portable. RETORT_NO_NATIVE=1 skips the build.
//
//   node src/lib/nn/index/native/build.mjs [--verbose]
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { nodeApiIncludeDir } from '../../native-headers.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const verbose = process.argv.includes('--verbose');
const skip = (why) => {
  console.log(`retort: optional HNSW batch search not built (${why}); hnswlib-node will answer one query per call`);
  process.exit(0);
};

/** hnswlib's headers inside the installed hnswlib-node package, or undefined. */
function hnswlibHeaders() {
  try {
    const pkg = createRequire(import.meta.url).resolve('hnswlib-node/package.json');
    const dir = join(dirname(pkg), 'src', 'hnswlib');
    return existsSync(join(dir, 'hnswalg.h')) ? dir : undefined;
  } catch {
    return undefined;
  }
}

try {
  if (process.env.RETORT_NO_NATIVE === '1') skip('RETORT_NO_NATIVE=1');
  const nodeInclude = nodeApiIncludeDir();
  if (nodeInclude === undefined) skip('no Node-API headers (node_api.h) next to this Node');
  const hnswlib = hnswlibHeaders();
  if (hnswlib === undefined) skip('hnswlib-node and its headers are not installed');
  const cxx = process.env.CXX ?? 'c++';
  if (spawnSync(cxx, ['--version'], { stdio: 'ignore' }).status !== 0) skip(`no C++ compiler (${cxx})`);

  const outDir = join(here, 'build');
  mkdirSync(outDir, { recursive: true });
  const tmp = join(outDir, `retort_hnsw.${process.pid}.node`);
  const args = ['-O3', '-std=gnu++17', '-fPIC', '-pthread', '-shared', '-fvisibility=hidden',
    '-DNAPI_VERSION=8', '-DNODE_GYP_MODULE_NAME=retort_hnsw',
    `-I${nodeInclude}`, `-I${hnswlib}`, join(here, 'retort_hnsw.cc'), '-o', tmp];
  if (process.platform === 'darwin') args.push('-undefined', 'dynamic_lookup');
  const r = spawnSync(cxx, args, { encoding: 'utf8' });
  if (r.status !== 0) {
    rmSync(tmp, { force: true });
    const first = (r.stderr || r.error?.message || '').split('\n').find((l) => /error/i.test(l)) ?? 'compiler failed';
    if (verbose) console.log(r.stderr);
    skip(first.trim());
  }
  renameSync(tmp, join(outDir, 'retort_hnsw.node'));
  console.log(`retort: built optional HNSW batch search (${join(outDir, 'retort_hnsw.node')})`);
} catch (e) {
  skip(e instanceof Error ? e.message : String(e));
}
