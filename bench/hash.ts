// Benchmark: content hashing, the cost every published entry and every external input pays,
// against GNU `sha256sum` and `openssl dgst -sha256` on the same files in the same shell. Checks that
// the digests agree.
//
//   npx vite-node bench/hash.ts [--mb 512] [--files 20000] [--file-kb 4] [--reps 3] [--keep]
//
// Cases: one large file (the store's hashFile, as publish uses it, and the input hasher's stream);
// a folder of many small files (the input hasher cold, then warm from its stat cache).

import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { ContentHasher, sha256File } from '../src/graph/content-hash.js';
import { hashFile } from '../src/store/hash.js';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return (i >= 0 ? process.argv[i + 1] : undefined) ?? fallback;
}
const MB = Number(arg('mb', '512'));
const FILES = Number(arg('files', '20000'));
const FILE_KB = Number(arg('file-kb', '4'));
const REPS = Number(arg('reps', '3'));
const keep = process.argv.includes('--keep');

async function median<T>(reps: number, fn: () => Promise<T> | T): Promise<{ ms: number; value: T }> {
  const times: number[] = [];
  let value!: T;
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    value = await fn();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  const ms = times[Math.floor(times.length / 2)];
  if (ms === undefined) throw new Error(`--reps must be at least 1, got ${reps}`);
  return { ms, value };
}

const fmt = (ms: number) => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(0)} ms`);
const ratio = (ours: number, peer: number) => `${(peer / ours).toFixed(2)}×`;

const dir = mkdtempSync(join(tmpdir(), 'retort-bench-hash-'));
try {
  console.log(`# Hashing benchmark: retort vs sha256sum (${execFileSync('sha256sum', ['--version']).toString().split('\n')[0]})`);
  console.log(`node ${process.version}; reps ${REPS} (median); files in ${dir}, page cache warm (each case is read once first)\n`);

  // One large file of random bytes, written in 64 MB pieces.
  const big = join(dir, 'big.bin');
  writeFileSync(big, '');
  for (let left = MB; left > 0; left -= 64) writeFileSync(big, randomBytes(Math.min(64, left) << 20), { flag: 'a' });
  execFileSync('sha256sum', [big]); // warm the page cache for every contender alike
  const peerBig = await median(REPS, () => execFileSync('sha256sum', [big]).toString().split(' ')[0]);
  const opensslBig = await median(REPS, () => execFileSync('openssl', ['dgst', '-sha256', '-r', big]).toString().split(' ')[0]);
  const oursBig = await median(REPS, async () => (await hashFile(big)).sha256);
  const streamBig = await median(REPS, () => sha256File(big));
  if (oursBig.value !== peerBig.value || streamBig.value !== peerBig.value || opensslBig.value !== peerBig.value) throw new Error('digests of the large file disagree');

  // Many small files in 100 sub-folders.
  const folder = join(dir, 'many');
  for (let i = 0; i < FILES; i++) {
    const sub = join(folder, `d${i % 100}`);
    if (i < 100) mkdirSync(sub, { recursive: true });
    writeFileSync(join(sub, `f${i}.bin`), randomBytes(FILE_KB << 10));
  }
  const peerCmd = `find '${folder}' -type f -print0 | xargs -0 sha256sum | sort -k 2 | sha256sum`;
  execFileSync('sh', ['-c', peerCmd]);
  const peerMany = await median(REPS, () => execFileSync('sh', ['-c', peerCmd]).toString());
  const cold = await median(REPS, () => new ContentHasher().hashPath(folder));
  const warmHasher = new ContentHasher();
  await warmHasher.hashPath(folder);
  const warm = await median(REPS, () => warmHasher.hashPath(folder));
  if (cold.value.sha256 !== warm.value.sha256) throw new Error('cold and warm folder digests disagree');

  const mbps = (ms: number) => `${(MB / (ms / 1000)).toFixed(0)} MB/s`;
  console.log(`| case | retort | sha256sum | ratio (sha256sum time / ours) |`);
  console.log(`|:--|--:|--:|--:|`);
  console.log(`| ${MB} MB file, store hashFile (publish path) | ${fmt(oursBig.ms)} (${mbps(oursBig.ms)}) | ${fmt(peerBig.ms)} (${mbps(peerBig.ms)}) | ${ratio(oursBig.ms, peerBig.ms)} |`);
  console.log(`| ${MB} MB file, store hashFile vs openssl dgst -sha256 | ${fmt(oursBig.ms)} | ${fmt(opensslBig.ms)} (${mbps(opensslBig.ms)}) | ${ratio(oursBig.ms, opensslBig.ms)} |`);
  console.log(`| ${MB} MB file, input hasher stream | ${fmt(streamBig.ms)} (${mbps(streamBig.ms)}) | ${fmt(peerBig.ms)} | ${ratio(streamBig.ms, peerBig.ms)} |`);
  console.log(`| ${FILES.toLocaleString('en')} files of ${FILE_KB} KB, input hasher, cold | ${fmt(cold.ms)} | ${fmt(peerMany.ms)} (find + xargs) | ${ratio(cold.ms, peerMany.ms)} |`);
  console.log(`| same folder, input hasher, warm stat cache | ${fmt(warm.ms)} | ${fmt(peerMany.ms)} | ${ratio(warm.ms, peerMany.ms)} |`);
  console.log(`\ndigests of the large file agree with sha256sum: ${oursBig.value.slice(0, 16)}…`);
  // The target: the store hashes at no less than 80 % of the speed of the openssl command.
  const share = opensslBig.ms / oursBig.ms;
  console.log(`target: store hashFile at >= 80 % of openssl dgst -sha256's speed: ${share >= 0.8 ? 'MET' : 'MISSED'} (${(share * 100).toFixed(0)} %)`);
} finally {
  if (keep) console.log(`kept ${dir}`);
  else rmSync(dir, { recursive: true, force: true });
}
