// Shared helpers for the store tests.
import { createHash } from 'node:crypto';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { Store, type StoreOptions } from '../../src/store/store.js';
import type { ManifestFields } from '../../src/store/manifest.js';
import { keyFromDigest, nodeId, type Key } from '../../src/util/ids.js';

export function keyOf(text: string | number): Key {
  return keyFromDigest(createHash('sha256').update(String(text)).digest('hex'));
}

/** One key per name, as a tuple as long as the names (so each can be destructured by name). */
export function keysOf<const Names extends readonly string[]>(...names: Names): { [I in keyof Names]: Key } {
  return names.map(keyOf) as { [I in keyof Names]: Key };
}

export async function tempDir(prefix = 'retort-store-'): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

export async function removeDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}

export async function openStore(opts: StoreOptions = {}): Promise<{ store: Store; root: string; base: string }> {
  const base = await tempDir();
  const root = join(base, 'store');
  return { store: await Store.open(root, { durable: false, ...opts }), root, base };
}

export function fields(over: Partial<ManifestFields> = {}): ManifestFields {
  return {
    keyStructure: { keyVersion: 1, params: { a: 1 }, inputs: {} },
    nodeId: nodeId('train#0'),
    stage: 'train',
    recipe: 'recipes/test.yaml',
    plugin: { id: 'test-plugin', version: '1.0.0' },
    metrics: [{ name: 'acc', value: 0.5, step: 0, timestamp: 1 }],
    startedAt: 1000,
    endedAt: 2000,
    runId: 'run-1',
    ...over,
  };
}

/** Writes `files` (path under out/ → content) into a fresh staging area and publishes it. */
export async function put(store: Store, key: Key, files: Record<string, string | Buffer>, over: Partial<ManifestFields> = {}) {
  const staging = await store.beginWrite(key);
  for (const [path, content] of Object.entries(files)) {
    const abs = join(staging.outDir, path);
    await mkdir(dirname(abs), { recursive: true });
    await writeFile(abs, content);
  }
  return store.publish(staging, fields(over));
}

let childBundle: Promise<string> | undefined;

/** Bundles fixtures/child.ts into one .mjs that plain `node` runs (child processes cannot load TypeScript). */
export function childScript(): Promise<string> {
  childBundle ??= (async () => {
    const outdir = await tempDir('retort-store-child-');
    const outfile = join(outdir, 'child.mjs');
    await build({
      entryPoints: [join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'child.ts')],
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      outfile,
      logLevel: 'silent',
    });
    return outfile;
  })();
  return childBundle;
}
