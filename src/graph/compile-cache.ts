// The compiled-plan cache: a recipe compiled and keyed once is reused while nothing it was made from
// has changed, so a plan or a no-op run of a large recipe skips parsing, validation, interpolation
// and keying. An entry is reused only when all of these are as they were:
//   - the engine (its compiled modules by stat, Node's version, platform, architecture),
//   - the recipe path, the overrides, and the bytes of every file the recipe read (includes too;
//     hashed when compiling, and a recipe edited while it compiled is not saved),
//   - every environment variable the compile and the keys read (names and values),
//   - every plugin: reloaded as compiling would, with the same definition, code digest and runtime,
//   - every external input whose content entered a key (hashed again, through the stat cache).
// Sweeps are not cached. The file is written atomically with a checksum: a torn, stale or foreign
// file costs a compile, never a wrong key.
import { readdirSync, readFileSync, rmSync, statSync, type Dirent } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadPlugin, type LoadedPlugin } from '../plugin/registry.js';
import { loadRecipe } from '../recipe/load.js';
import { writeFileAtomic } from '../store/fsutil.js';
import { canonicalJson, sha256Hex } from '../util/canonical.js';
import { CACHE_FORMAT, fromCached, pluginFingerprint, toCached, type CachedCompile } from './compile-cache-format.js';
import type { ContentHasher } from './content-hash.js';
import { sameEnv, watchEnvReads } from './env-reads.js';
import { baseRuntime, type NodeKey } from './key.js';
import type { CompiledRecipe } from './types.js';
import type { NodeId } from '../util/ids.js';

/** What preparing a recipe gives; fields a caller's type adds beyond these must be optional. */
export interface PreparedRecipe {
  recipe: CompiledRecipe;
  keys: Map<NodeId, NodeKey>;
  runsDir: string;
  hasher: ContentHasher;
  /** Set by a sweep's preparation (never cached). */
  spec?: unknown;
  adaptive?: unknown;
}

export interface CompileRequest {
  /** Absolute path of the recipe. */
  file: string;
  overrides: string[];
  /** -m: overrides may be sweep axes, so the result is a sweep and not cached. */
  multirun: boolean;
  runsDir: string;
  env: NodeJS.ProcessEnv;
}

export interface CachedPrepare<P extends PreparedRecipe> {
  prepared: P;
  /** True when the compile was reused. */
  reused: boolean;
  /** Writes the entry for a fresh compile (call once the store is open; a no-op after a reuse). */
  save(): Promise<void>;
}

interface CacheFile {
  format: number;
  engine: string;
  file: string;
  overrides: string[];
  files: { path: string; sha256: string }[];
  env: Record<string, string | null>;
  compiled: CachedCompile;
}

/** Entries kept (one per recipe and set of overrides): each -S variation of a large recipe adds one. */
export const MAX_ENTRIES = 16;

/** The cache file of one recipe and set of overrides, under the store. */
export function compileCachePath(runsDir: string, file: string, overrides: readonly string[]): string {
  return join(runsDir, 'store', 'compiled', `${sha256Hex(canonicalJson({ file, overrides })).slice(0, 32)}.json`);
}

/**
 * Prepares through the cache: reuses a valid entry, else calls `fresh` with an environment that
 * notes what it reads and offers the result for saving.
 */
export async function prepareWithCompileCache<P extends PreparedRecipe>(
  req: CompileRequest,
  hasher: ContentHasher,
  fresh: (env: NodeJS.ProcessEnv) => Promise<P>,
): Promise<CachedPrepare<P>> {
  const path = compileCachePath(req.runsDir, req.file, req.overrides);
  if (!req.multirun) {
    const reused = await reuse(path, req, hasher);
    // The fields beyond PreparedRecipe are a sweep's, all optional: a plain recipe has none of them.
    if (reused) return { prepared: { ...reused, runsDir: req.runsDir, hasher } as P, reused: true, save: async () => {} };
  }
  // The recipe's digest before compiling and every file's right after (not when saving, which
  // `run` does later): an entry never pairs a text edited meanwhile with the plan of the older one.
  const before = req.multirun ? undefined : fileDigest(req.file);
  const watched = watchEnvReads(req.env);
  const prepared = await fresh(watched.env);
  const files = req.multirun ? [] : prepared.recipe.files.map((f) => ({ path: f, sha256: fileDigest(f) ?? '' }));
  const save = async () => {
    if (req.multirun || prepared.spec !== undefined || prepared.adaptive !== undefined || prepared.recipe.sweep || watched.enumerated()) return;
    // A file that vanished, or the recipe edited while it compiled: nothing worth keeping.
    if (files.some((f) => f.sha256 === '') || files.find((f) => f.path === req.file)?.sha256 !== before) return;
    const compiled = toCached(prepared.recipe, prepared.keys);
    if (!compiled) return;
    const entry: CacheFile = {
      format: CACHE_FORMAT, engine: engineStamp(), file: req.file, overrides: req.overrides, files,
      env: Object.fromEntries(watched.read), compiled,
    };
    // Encoded once, after room for the checksum line: the checksum is over the bytes written.
    // Room for the worst case (3 bytes a UTF-16 unit) spares measuring the text first.
    const json = JSON.stringify(entry);
    const room = Buffer.allocUnsafe(65 + 3 * json.length);
    const bytes = room.subarray(0, 65 + room.write(json, 65));
    bytes.write(`${sha256Hex(bytes.subarray(65))}\n`, 0, 'latin1');
    try {
      await mkdir(dirname(path), { recursive: true });
      await writeFileAtomic(path, bytes);
      keepNewest(dirname(path), MAX_ENTRIES);
    } catch { /* a cache that cannot be written (read-only runs folder, full disk) only costs the next compile */ }
  };
  return { prepared, reused: false, save };
}

/** The cached compile when every ingredient is unchanged; undefined otherwise (any doubt is a miss). */
async function reuse(path: string, req: CompileRequest, hasher: ContentHasher): Promise<{ recipe: CompiledRecipe; keys: Map<NodeId, NodeKey> } | undefined> {
  const entry = readEntry(path);
  if (!entry || entry.format !== CACHE_FORMAT || entry.engine !== engineStamp()) return undefined;
  if (entry.file !== req.file || canonicalJson(entry.overrides) !== canonicalJson(req.overrides)) return undefined;
  if (!entry.files.length || entry.files.some((f) => fileDigest(f.path) !== f.sha256)) return undefined;
  if (!sameEnv(entry.env, req.env)) return undefined;
  const plugins = await reloadPlugins(entry.compiled, dirname(req.file));
  if (!plugins) return undefined;
  for (const input of entry.compiled.inputs) {
    try {
      const now = await hasher.hashPath(input.path);
      if (now.kind !== input.kind || now.sha256 !== input.sha256) return undefined;
    } catch {
      return undefined;
    }
  }
  return fromCached(entry.compiled, plugins, () => loadRecipe(req.file).sources);
}

function readEntry(path: string): CacheFile | undefined {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch {
    return undefined;
  }
  // The checksum is over the body's bytes as read: hashing the decoded text would encode 4 MB again.
  if (bytes.length < 65 || bytes[64] !== 0x0a) return undefined;
  const body = bytes.subarray(65);
  if (sha256Hex(body) !== bytes.toString('latin1', 0, 64)) return undefined;
  try {
    return JSON.parse(body.toString('utf8')) as CacheFile;
  } catch {
    return undefined;
  }
}

/** Each cached plugin loaded as compiling would load it, or undefined if any of them differs now. */
async function reloadPlugins(compiled: CachedCompile, recipeDir: string): Promise<LoadedPlugin[] | undefined> {
  const base = baseRuntime();
  const loaded: LoadedPlugin[] = [];
  for (const cached of compiled.plugins) {
    let plugin: LoadedPlugin;
    try {
      plugin = await loadPlugin(cached.ref, recipeDir);
    } catch {
      return undefined;
    }
    if (pluginFingerprint(plugin) !== cached.fingerprint) return undefined;
    const keyPlugin = { id: plugin.def.id, version: plugin.def.version, codeDigest: plugin.codeDigest };
    if (canonicalJson(keyPlugin) !== canonicalJson(cached.keyPlugin)) return undefined;
    if (canonicalJson({ ...base, ...(plugin.def.runtime?.() ?? {}) }) !== canonicalJson(cached.runtime)) return undefined;
    loaded.push(plugin);
  }
  return loaded;
}

/** Removes all but the `keep` most recently written entries. */
function keepNewest(dir: string, keep: number): void {
  const entries = readdirSync(dir).filter((n) => n.endsWith('.json'))
    .map((name) => ({ name, mtimeMs: statSync(join(dir, name), { throwIfNoEntry: false })?.mtimeMs ?? 0 }));
  if (entries.length <= keep) return;
  entries.sort((a, b) => b.mtimeMs - a.mtimeMs);
  for (const old of entries.slice(keep)) rmSync(join(dir, old.name), { force: true });
}

function fileDigest(path: string): string | undefined {
  try {
    return sha256Hex(readFileSync(path));
  } catch {
    return undefined;
  }
}

// The engine's own source folders that decide how a recipe compiles and keys (by stat: a rebuild changes them).
const ENGINE_DIRS = ['graph', 'recipe', 'plugin', 'sweep', 'util'];
let stamp: string | undefined;

/** Identifies this engine build and the machine facts keys depend on. */
export function engineStamp(): string {
  if (stamp) return stamp;
  const root = dirname(dirname(fileURLToPath(import.meta.url)));
  const files: string[] = [];
  for (const dir of ENGINE_DIRS) listStats(join(root, dir), files);
  stamp = sha256Hex(canonicalJson({ node: process.version, runtime: baseRuntime(), files }));
  return stamp;
}

function listStats(dir: string, out: string[]): void {
  let entries: Dirent[];
  try {
    entries = readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  } catch {
    return;
  }
  for (const entry of entries) {
    const abs = join(dir, entry.name);
    if (entry.isDirectory()) listStats(abs, out);
    // The modules only: source maps do not change how a recipe compiles.
    else if (entry.name.endsWith('.js')) {
      const st = statSync(abs, { throwIfNoEntry: false });
      if (st) out.push(`${abs}:${st.size}:${st.mtimeMs}`);
    }
  }
}
