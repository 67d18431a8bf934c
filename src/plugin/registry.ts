// Finds and loads plugins: built-in folders under plugins/, a plugin folder named by path, or an npm package.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { yamlLib } from '../util/yaml-lib.js';
import type { PluginDefinition } from './api.js';
import { folderDigest, moduleGraphDigest, readSource } from './code-digest.js';
import { DefinitionCache, type DefinitionFacts } from './definition-cache.js';

export interface LoadedPlugin {
  def: PluginDefinition;
  kind: 'module' | 'command';
  /** What the recipe wrote. */
  ref: string;
  /** Module file (kind module) or plugin folder (kind command). */
  entry: string;
  codeDigest: string;
  /** For command plugins: the command line, run in the plugin folder. */
  command?: string[];
  /** README of the plugin, if any. */
  readme?: string;
}

/** Why a plugin reference could not be loaded; `file` is the folder, module or plugin.yaml concerned. */
export type PluginFault =
  | { kind: 'unknown-id'; candidates: string[] }
  | { kind: 'no-folder'; file: string }
  | { kind: 'no-entry'; file: string }
  | { kind: 'load-failed'; file: string; detail: string }
  | { kind: 'invalid-module'; file: string; detail: string }
  | { kind: 'bad-manifest'; file: string; detail: string };

export class PluginNotFound extends Error {
  constructor(readonly ref: string, readonly fault: PluginFault) {
    super(faultText(ref, fault));
  }
}

function faultText(ref: string, f: PluginFault): string {
  switch (f.kind) {
    case 'unknown-id': return `unknown plugin '${ref}'`;
    case 'no-folder': return `plugin folder '${f.file}' does not exist`;
    case 'no-entry': return `plugin folder '${f.file}' has no plugin.yaml, index.js or index.mjs`;
    case 'load-failed': return `plugin '${ref}' failed to load: ${f.detail}`;
    case 'invalid-module': return `plugin '${ref}' (${f.file}) is not a valid plugin: ${f.detail}`;
    case 'bad-manifest': return `${f.file}: ${f.detail}`;
  }
}

const here = dirname(fileURLToPath(import.meta.url));
// Compiled code runs from dist/src/plugin; tests may import the sources from src/plugin.
const runningCompiled = basename(resolve(here, '../..')) === 'dist';
/** Repository root (holds package.json, plugins/ sources with READMEs). */
export const PACKAGE_ROOT = runningCompiled ? resolve(here, '../../..') : resolve(here, '../..');
/** Compiled built-in plugins. */
export const BUILTIN_PLUGIN_DIR = join(PACKAGE_ROOT, 'dist', 'plugins');

export function builtinPluginIds(): string[] {
  if (!existsSync(BUILTIN_PLUGIN_DIR)) return [];
  return readdirSync(BUILTIN_PLUGIN_DIR)
    .filter((name) => existsSync(join(BUILTIN_PLUGIN_DIR, name, 'index.js')))
    .sort();
}

const cache = new Map<string, Promise<LoadedPlugin>>();
let definitions: DefinitionCache | undefined;

/**
 * Keeps module plugins' definitions in `file` between runs (see definition-cache.ts): a plugin whose
 * code, packages and environment are unchanged is then not imported until it runs. Undefined turns it off.
 */
export function useDefinitionCache(file: string | undefined): void {
  if (file === undefined) { definitions = undefined; return; }
  if (definitions?.file !== file) definitions = DefinitionCache.open(file);
}

/** Writes what this process learnt about plugin definitions (nothing when the cache is off or unchanged). */
export function saveDefinitionCache(): void {
  definitions?.save();
}

/** Resolves a plugin reference relative to the recipe's folder. */
export function loadPlugin(ref: string, recipeDir: string): Promise<LoadedPlugin> {
  const cacheKey = `${recipeDir}\u0000${ref}`;
  let pending = cache.get(cacheKey);
  if (!pending) {
    pending = resolvePlugin(ref, recipeDir);
    cache.set(cacheKey, pending);
  }
  return pending;
}

async function resolvePlugin(ref: string, recipeDir: string): Promise<LoadedPlugin> {
  if (ref.startsWith('.') || isAbsolute(ref)) return loadFolder(ref, resolve(recipeDir, ref));
  const builtin = join(BUILTIN_PLUGIN_DIR, ref);
  if (existsSync(join(builtin, 'index.js'))) {
    const loaded = await loadModule(ref, join(builtin, 'index.js'), resolve(BUILTIN_PLUGIN_DIR, '..'));
    const readmePath = join(PACKAGE_ROOT, 'plugins', ref, 'README.md');
    return { ...loaded, readme: existsSync(readmePath) ? readmePath : undefined };
  }
  const pkg = ref.startsWith('npm:') ? ref.slice(4) : ref;
  if (/^(@[\w.-]+\/)?[\w.-]+$/.test(pkg)) {
    const req = createRequire(join(recipeDir, 'package.json'));
    let entry: string | undefined;
    try { entry = req.resolve(pkg); } catch { entry = undefined; }
    if (entry) return loadModule(ref, entry, dirname(entry));
  }
  throw new PluginNotFound(ref, { kind: 'unknown-id', candidates: builtinPluginIds() });
}

async function loadFolder(ref: string, dir: string): Promise<LoadedPlugin> {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new PluginNotFound(ref, { kind: 'no-folder', file: dir });
  }
  const manifest = join(dir, 'plugin.yaml');
  if (existsSync(manifest)) return loadCommandPlugin(ref, dir, manifest);
  for (const name of ['index.js', 'index.mjs']) {
    const entry = join(dir, name);
    if (existsSync(entry)) return loadModule(ref, entry, dir, dir);
  }
  throw new PluginNotFound(ref, { kind: 'no-entry', file: dir });
}

/** A module plugin: from the definition cache when it knows this code, else imported (and remembered). */
async function loadModule(ref: string, entry: string, root: string, folder?: string): Promise<LoadedPlugin> {
  const known = definitions;
  if (!known) return { def: await importDefinition(ref, entry), kind: 'module', ref, entry, codeDigest: moduleGraphDigest(entry, root, readSource) };
  const codeDigest = moduleGraphDigest(entry, root, known.readSource);
  const stamp = known.stampOf(entry, codeDigest, folder, process.env);
  const facts = known.lookup(entry, stamp, process.env);
  if (facts) return { def: deferredDefinition(facts, () => importDefinition(ref, entry)), kind: 'module', ref, entry, codeDigest };
  const recording = known.watchEnv();
  let def: PluginDefinition;
  try {
    def = await importDefinition(ref, entry);
  } catch (err) {
    recording.stop();
    throw err;
  }
  known.remember(entry, stamp, def, recording, process.env);
  return { def, kind: 'module', ref, entry, codeDigest };
}

/** A definition from cached facts; its code is imported only if something in this process runs it. */
function deferredDefinition(facts: DefinitionFacts, load: () => Promise<PluginDefinition>): PluginDefinition {
  let loading: Promise<PluginDefinition> | undefined;
  const { runtime, ...rest } = facts;
  return {
    ...rest,
    runtime: runtime ? () => ({ ...runtime }) : undefined,
    run: async (ctx) => (await (loading ??= load())).run(ctx),
  };
}

async function importDefinition(ref: string, entry: string): Promise<PluginDefinition> {
  let mod: { default?: PluginDefinition; plugin?: PluginDefinition };
  try {
    mod = await import(pathToFileURL(entry).href);
  } catch (err) {
    throw new PluginNotFound(ref, { kind: 'load-failed', file: entry, detail: (err as Error).message });
  }
  const def = mod.default ?? mod.plugin;
  const problem = checkDefinition(def);
  if (problem) throw new PluginNotFound(ref, { kind: 'invalid-module', file: entry, detail: problem });
  return def!;
}

function loadCommandPlugin(ref: string, dir: string, manifestPath: string): LoadedPlugin {
  let raw: Record<string, unknown>;
  try {
    raw = yamlLib().parse(readFileSync(manifestPath, 'utf8')) as Record<string, unknown>;
  } catch (err) {
    throw new PluginNotFound(ref, { kind: 'bad-manifest', file: manifestPath, detail: (err as Error).message.split('\n')[0]! });
  }
  const command = typeof raw?.command === 'string' ? ['/bin/sh', '-c', raw.command] : raw?.command;
  if (!Array.isArray(command) || command.length === 0 || !command.every((c) => typeof c === 'string')) {
    throw new PluginNotFound(ref, { kind: 'bad-manifest', file: manifestPath, detail: "'command' must be a string or a list of strings" });
  }
  const def = {
    id: raw.id, version: raw.version === undefined ? undefined : String(raw.version), description: raw.description,
    params: raw.params ?? { type: 'object' }, inputs: raw.inputs ?? {}, outputs: raw.outputs ?? {}, env: raw.env ?? [], metrics: raw.metrics,
    run: () => { throw new Error('command plugins run through the node runner'); },
  } as unknown as PluginDefinition;
  const problem = checkDefinition(def);
  if (problem) throw new PluginNotFound(ref, { kind: 'bad-manifest', file: manifestPath, detail: problem });
  return { def, kind: 'command', ref, entry: dir, codeDigest: folderDigest(dir, definitions?.readSource ?? readSource), command: command as string[] };
}

function checkDefinition(def: PluginDefinition | undefined): string | undefined {
  if (!def || typeof def !== 'object') return 'no default export';
  if (typeof def.id !== 'string' || !def.id) return "'id' must be a non-empty string";
  if (typeof def.version !== 'string' || !def.version) return "'version' must be a string";
  if (typeof def.params !== 'object' || def.params === null) return "'params' must be a JSON Schema object";
  if (typeof def.outputs !== 'object' || def.outputs === null) return "'outputs' must be a mapping of port names";
  if (def.inputs !== undefined && (typeof def.inputs !== 'object' || def.inputs === null)) return "'inputs' must be a mapping of port names";
  if (typeof def.run !== 'function') return "'run' must be a function";
  return portNameProblem('inputs', def.inputs ?? {}) ?? portNameProblem('outputs', def.outputs);
}

/** Port names become folder names and environment variable suffixes: they follow the rule of stage ids. */
export const PORT_NAME = /^[A-Za-z_][A-Za-z0-9_-]*$/;

function portNameProblem(kind: 'inputs' | 'outputs', ports: object): string | undefined {
  const bad = Object.keys(ports).find((name) => !PORT_NAME.test(name));
  if (bad === undefined) return undefined;
  return `${kind.slice(0, -1)} port name ${JSON.stringify(bad)} is not valid: a port name starts with a letter or _, then letters, digits, _ or -`;
}
