// What the engine knows of module plugins between runs, so that a run whose nodes are all cached
// need not import plugin code: a neural plugin's module pulls in tfjs, most of a no-op run's time.
//
// An entry keeps what compiling and keying read of a plugin without running it: id, version,
// description, params schema, ports, env and the result of runtime(). It is used only while what it
// was computed from is unchanged (its stamp):
//   - the plugin's code digest (its module and every local module it imports),
//   - for a plugin folder, every file in it (a module may read a schema file when it loads),
//   - the node_modules folders a bare import could resolve from (npm rewrites their .package-lock.json
//     on every install), NODE_PATH, Node's version, the platform and the host,
//   - the environment variables read while the module loaded and runtime() ran (kept as a digest).
// Source files are digested once and then recognised by their stat, as input files are.
import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync, type Stats } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import { canonicalJson, sha256Hex } from '../util/canonical.js';
import type { PluginDefinition } from './api.js';
import { folderFiles, sourceFacts, type SourceFacts, type SourceReader } from './code-digest.js';
import { startEnvRecording, type EnvRecording } from './env-recording.js';

const FORMAT = 1;
/** Past this many source entries, a save keeps only those this process used. */
const MAX_SOURCES = 5000;

/** The serialisable part of a module plugin's definition. */
export interface DefinitionFacts {
  id: string;
  version: string;
  description?: string;
  params: PluginDefinition['params'];
  inputs?: PluginDefinition['inputs'];
  outputs: PluginDefinition['outputs'];
  env?: string[];
  metrics?: string[];
  /** What runtime() returned, or null when the plugin has none. */
  runtime: Record<string, string> | null;
}

interface SourceEntry extends SourceFacts { stat: string }
interface PluginEntry { stamp: string; envNames: string[]; envDigest: string; facts: DefinitionFacts }
interface CacheFile { format: number; sources: Record<string, SourceEntry>; plugins: Record<string, PluginEntry> }

function statText(st: Stats): string {
  return `${st.size}:${st.mtimeMs}:${st.ctimeMs}:${st.ino}:${st.dev}`;
}

function envDigest(names: readonly string[], env: NodeJS.ProcessEnv): string {
  return sha256Hex(canonicalJson(Object.fromEntries(names.map((n) => [n, env[n] ?? null]))));
}

/** Whether a value survives JSON unchanged (no functions, undefined, -0, non-finite numbers or class instances). */
export function isPlainJson(value: unknown): boolean {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return true;
  if (typeof value === 'number') return Number.isFinite(value) && !Object.is(value, -0);
  if (Array.isArray(value)) return value.every(isPlainJson);
  if (typeof value !== 'object') return false;
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return false;
  return Object.values(value as object).every(isPlainJson);
}

export class DefinitionCache {
  private sources: Record<string, SourceEntry> = {};
  private plugins: Record<string, PluginEntry> = {};
  private readonly usedSources = new Set<string>();
  private dirty = false;

  private constructor(readonly file: string) {}

  /** Opens the cache file; a missing, unreadable or foreign one is an empty cache. */
  static open(file: string): DefinitionCache {
    const cache = new DefinitionCache(file);
    try {
      const parsed = JSON.parse(readFileSync(file, 'utf8')) as CacheFile;
      if (parsed?.format === FORMAT && parsed.sources && parsed.plugins) {
        cache.sources = parsed.sources;
        cache.plugins = parsed.plugins;
      }
    } catch { /* no cache yet */ }
    return cache;
  }

  /** A source reader for the code digest: one stat per known file instead of a read and a hash. */
  readonly readSource: SourceReader = (path) => {
    let st: Stats;
    try { st = statSync(path); } catch { return undefined; }
    if (!st.isFile()) return undefined;
    this.usedSources.add(path);
    const stat = statText(st);
    const known = this.sources[path];
    if (known?.stat === stat) return known;
    let bytes: Buffer;
    try { bytes = readFileSync(path); } catch { return undefined; }
    const entry = { ...sourceFacts(path, bytes), stat };
    this.sources[path] = entry;
    this.dirty = true;
    return entry;
  };

  /** Everything outside the code digest that an entry of this module depends on. */
  stampOf(entry: string, codeDigest: string, folder: string | undefined, env: NodeJS.ProcessEnv): string {
    const parts: string[] = [FORMAT.toString(), entry, codeDigest, process.version, process.platform, process.arch, hostname(), env.NODE_PATH ?? ''];
    for (let dir = dirname(entry); ; dir = dirname(dir)) {
      const modules = join(dir, 'node_modules');
      for (const path of [modules, join(modules, '.package-lock.json')]) {
        const st = statSync(path, { throwIfNoEntry: false });
        if (st) parts.push(`${path}=${statText(st)}`);
      }
      if (dirname(dir) === dir) break;
    }
    if (folder) for (const file of folderFiles(folder)) parts.push(`${file}=${statText(statSync(file))}`);
    return sha256Hex(parts.join('\n'));
  }

  /** The facts stored for this module, if its stamp and the environment variables it read are unchanged. */
  lookup(entry: string, stamp: string, env: NodeJS.ProcessEnv): DefinitionFacts | undefined {
    const found = this.plugins[entry];
    if (!found || found.stamp !== stamp || found.envDigest !== envDigest(found.envNames, env)) return undefined;
    return found.facts;
  }

  /** Starts watching environment reads for a module about to be imported; see remember(). */
  watchEnv(): EnvRecording {
    return startEnvRecording();
  }

  /**
   * Keeps a freshly imported definition. Plugins whose definition does not survive JSON, whose
   * runtime() throws or that enumerated the whole environment are not kept: they load every time.
   */
  remember(entry: string, stamp: string, def: PluginDefinition, recording: EnvRecording, env: NodeJS.ProcessEnv): void {
    let runtime: Record<string, string> | null;
    try {
      runtime = def.runtime ? def.runtime() : null;
    } catch {
      recording.stop();
      return;
    }
    const read = recording.stop();
    if (read === 'all') return;
    const facts: DefinitionFacts = {
      id: def.id, version: def.version, description: def.description, params: def.params,
      inputs: def.inputs, outputs: def.outputs, env: def.env, metrics: def.metrics, runtime,
    };
    const { description, inputs, env: envNames, metrics, ...required } = facts;
    const optional = [description, inputs, envNames, metrics].filter((v) => v !== undefined);
    if (!isPlainJson(required) || !optional.every(isPlainJson)) return;
    const names = [...read].sort();
    this.plugins[entry] = { stamp, envNames: names, envDigest: envDigest(names, env), facts };
    this.dirty = true;
  }

  /** Writes the cache if it changed (atomically; a concurrent writer's entries may be lost, never mixed). */
  save(): void {
    if (!this.dirty) return;
    const sources = Object.keys(this.sources).length > MAX_SOURCES
      ? Object.fromEntries([...this.usedSources].filter((p) => this.sources[p]).map((p) => [p, this.sources[p]!]))
      : this.sources;
    const body: CacheFile = { format: FORMAT, sources, plugins: this.plugins };
    mkdirSync(dirname(this.file), { recursive: true });
    const tmp = `${this.file}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(body));
    renameSync(tmp, this.file);
    this.dirty = false;
  }
}
