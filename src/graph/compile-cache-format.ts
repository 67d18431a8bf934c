// A compiled recipe and its keys as plain JSON, and back. Plugins are not stored (they are code):
// each node names a plugin by its index in a list of references, which the reader loads again and
// checks against the fingerprint stored here. Parts of key structures that every node of a plugin
// shares (plugin identity, runtime) are stored once per plugin. A node's key inputs are left out when
// they follow from its inputs, as computeKeys makes them: an upstream node's key (stored once, with
// that node) and a path's digest (stored once, in `inputs`), so no upstream key is written twice.
import type { LoadedPlugin } from '../plugin/registry.js';
import { canonicalJson, sha256Hex } from '../util/canonical.js';
import type { KeyInput, KeyStructure, NodeKey } from './key.js';
import type { CompiledRecipe, InputRef, NodeInput, NodeSpec } from './types.js';
import type { Key, NodeId } from '../util/ids.js';

export const CACHE_FORMAT = 2;

export interface CachedPlugin {
  ref: string;
  fingerprint: string;
  keyPlugin: KeyStructure['plugin'];
  runtime: Record<string, string>;
}

/** An external input whose content entered keys: its digest then, checked again before reuse. */
export interface CachedInput { path: string; kind: 'file' | 'folder'; sha256: string }

interface CachedNode {
  spec: Omit<NodeSpec, 'plugin'>;
  plugin: number;
  key: Key;
  /** Only when they do not follow from the node's inputs (see derivedKeyInputs). */
  keyInputs?: KeyStructure['inputs'];
  /** Only when not empty. */
  keyEnv?: KeyStructure['env'];
  /** Only when the key's params are not the node's own (they are, as computeKeys builds them). */
  keyParams?: Record<string, unknown>;
}

export interface CachedCompile {
  keyVersion: number;
  recipe: Omit<CompiledRecipe, 'nodes' | 'stages' | 'sources'> & { stages: [string, NodeId[]][] };
  plugins: CachedPlugin[];
  inputs: CachedInput[];
  nodes: CachedNode[];
}

/** What compiling and keying read of a plugin: equal fingerprints compile and key equally. */
export function pluginFingerprint(plugin: LoadedPlugin): string {
  const { def } = plugin;
  return sha256Hex(canonicalJson({
    kind: plugin.kind, entry: plugin.entry, codeDigest: plugin.codeDigest, command: plugin.command ?? null,
    id: def.id, version: def.version, description: def.description ?? null, params: def.params, inputs: def.inputs ?? null,
    outputs: def.outputs, env: def.env ?? null, metrics: def.metrics ?? null, runtime: def.runtime?.() ?? null,
  }));
}

/** The plain form, or undefined when something in it would not survive JSON unchanged. */
export function toCached(recipe: CompiledRecipe, keys: Map<NodeId, NodeKey>): CachedCompile | undefined {
  const pluginIndex = new Map<LoadedPlugin, number>();
  const plugins: CachedPlugin[] = [];
  const inputs = new Map<string, CachedInput>();
  const nodes: CachedNode[] = [];
  let keyVersion: number | undefined;
  for (const spec of recipe.nodes.values()) {
    const nodeKey = keys.get(spec.id);
    if (!nodeKey) return undefined;
    const s = nodeKey.structure;
    if (keyVersion !== undefined && s.keyVersion !== keyVersion) return undefined;
    keyVersion = s.keyVersion;
    let index = pluginIndex.get(spec.plugin);
    if (index === undefined) {
      index = plugins.length;
      pluginIndex.set(spec.plugin, index);
      plugins.push({ ref: spec.plugin.ref, fingerprint: pluginFingerprint(spec.plugin), keyPlugin: s.plugin, runtime: s.runtime });
    }
    const shared = plugins[index]!; // index was handed out by pluginIndex, one per pushed plugin
    // Stored once per plugin, so every node of the plugin must agree (computeKeys shares one runtime object per plugin).
    const samePlugin = s.plugin.id === shared.keyPlugin.id && s.plugin.version === shared.keyPlugin.version
      && s.plugin.codeDigest === shared.keyPlugin.codeDigest;
    if (!samePlugin || (s.runtime !== shared.runtime && canonicalJson(s.runtime) !== canonicalJson(shared.runtime))) return undefined;
    if (!collectInputs(spec.inputs, s.inputs, inputs)) return undefined;
    const { plugin: _plugin, ...plain } = spec;
    const derived = derivedKeyInputs(spec.inputs, (id) => keys.get(id)?.key, (path) => inputs.get(path));
    nodes.push({
      spec: { ...withoutUndefined(plain), resources: withoutUndefined(plain.resources) }, plugin: index, key: nodeKey.key,
      ...(derived && sameKeyInputs(derived, s.inputs) ? {} : { keyInputs: s.inputs }),
      ...(Object.keys(s.env).length ? { keyEnv: s.env } : {}),
      ...(s.params === spec.params ? {} : { keyParams: s.params }),
    });
  }
  const { nodes: _nodes, stages, sources: _sources, ...rest } = recipe;
  const cached: CachedCompile = {
    keyVersion: keyVersion ?? 0,
    recipe: { ...withoutUndefined(rest), stages: [...stages] },
    plugins,
    inputs: [...inputs.values()],
    nodes,
  };
  return survivesJson(cached) ? cached : undefined;
}

/** Pairs each path input with the content digest its key used. */
function collectInputs(specInputs: Record<string, NodeInput>, keyInputs: KeyStructure['inputs'], out: Map<string, CachedInput>): boolean {
  for (const [port, value] of Object.entries(specInputs)) {
    const refs = Array.isArray(value) ? value : [value];
    const used = keyInputs[port];
    const usedList: KeyInput[] = Array.isArray(used) ? used : used === undefined ? [] : [used];
    if (usedList.length !== refs.length) return false;
    for (const [i, ref] of refs.entries()) {
      if (ref.kind !== 'path') continue;
      const u = usedList[i]!; // the lengths are equal (checked above)
      if (!('content' in u)) return false;
      const seen = out.get(ref.path);
      // Two nodes keyed with different contents of one file: the file changed while keying.
      if (seen && seen.sha256 !== u.content) return false;
      out.set(ref.path, { path: ref.path, kind: u.kind, sha256: u.content });
    }
  }
  return true;
}

/**
 * The key inputs of a node as computeKeys makes them from its inputs: an upstream reference gives
 * that node's key and port, a path its content digest. Undefined when a reference cannot be resolved.
 */
function derivedKeyInputs(
  specInputs: Record<string, NodeInput>,
  keyOfNode: (id: NodeId) => Key | undefined,
  contentOf: (path: string) => CachedInput | undefined,
): KeyStructure['inputs'] | undefined {
  const one = (ref: InputRef): KeyInput | undefined => {
    if (ref.kind === 'node') {
      const node = keyOfNode(ref.node);
      return node === undefined ? undefined : { node, port: ref.port };
    }
    const content = contentOf(ref.path);
    return content && { content: content.sha256, kind: content.kind };
  };
  const out: KeyStructure['inputs'] = {};
  for (const [port, value] of Object.entries(specInputs)) {
    if (Array.isArray(value)) {
      const list: KeyInput[] = [];
      for (const ref of value) {
        const input = one(ref);
        if (!input) return undefined;
        list.push(input);
      }
      out[port] = list;
    } else {
      const input = one(value);
      if (!input) return undefined;
      out[port] = input;
    }
  }
  return out;
}

/** Whether two key-input maps are equal field by field (what canonical JSON of each would compare, without building it). */
function sameKeyInputs(a: KeyStructure['inputs'], b: KeyStructure['inputs']): boolean {
  const ports = Object.keys(a);
  if (ports.length !== Object.keys(b).length) return false;
  const sameInput = (x: KeyInput | undefined, y: KeyInput | undefined): boolean => {
    if (!x || !y || Object.keys(x).length !== Object.keys(y).length) return false;
    if ('node' in x) return 'node' in y && x.node === y.node && x.port === y.port;
    return 'content' in y && x.content === y.content && x.kind === y.kind;
  };
  for (const port of ports) {
    const x = a[port];
    const y = b[port];
    if (x === undefined || y === undefined || Array.isArray(x) !== Array.isArray(y)) return false;
    if (Array.isArray(x) && Array.isArray(y)) {
      if (x.length !== y.length || x.some((input, i) => !sameInput(input, y[i]))) return false;
    } else if (!sameInput(x as KeyInput, y as KeyInput)) return false;
  }
  return true;
}

/**
 * The recipe and keys again, with the plugins loaded for this process (in the order of `cached.plugins`).
 * Takes over `cached`: its node objects become the specs.
 */
export function fromCached(
  cached: CachedCompile,
  plugins: LoadedPlugin[],
  sources: () => CompiledRecipe['sources'],
): { recipe: CompiledRecipe; keys: Map<NodeId, NodeKey> } | undefined {
  const nodes = new Map<NodeId, NodeSpec>();
  const keys = new Map<NodeId, NodeKey>();
  const keyById = new Map<NodeId, Key>();
  for (const n of cached.nodes) keyById.set(n.spec.id, n.key);
  const contents = new Map(cached.inputs.map((input) => [input.path, input]));
  for (const n of cached.nodes) {
    // The cached entry was just parsed for this call: its node objects become the specs (no copy of 10^4 objects).
    // n.plugin indexes cached.plugins, and `plugins` holds one loaded plugin per entry of it.
    const spec = Object.assign(n.spec, { plugin: plugins[n.plugin]! }) as NodeSpec;
    const shared = cached.plugins[n.plugin]!;
    const inputs = n.keyInputs ?? derivedKeyInputs(spec.inputs, (id) => keyById.get(id), (path) => contents.get(path));
    // Left out only when derivable (toCached checked): an entry that says otherwise is not one we wrote.
    if (!inputs) return undefined;
    nodes.set(spec.id, spec);
    keys.set(spec.id, {
      key: n.key,
      structure: {
        keyVersion: cached.keyVersion,
        plugin: shared.keyPlugin,
        params: n.keyParams ?? spec.params,
        inputs,
        env: n.keyEnv ?? {},
        runtime: shared.runtime,
      },
    });
  }
  const { stages, ...rest } = cached.recipe;
  const recipe = { ...rest, nodes, stages: new Map(stages) } as Omit<CompiledRecipe, 'sources'> as CompiledRecipe;
  // The source map only serves error messages: it is read from the recipe files when first asked for.
  let map: CompiledRecipe['sources'] | undefined;
  Object.defineProperty(recipe, 'sources', { enumerable: true, configurable: true, get: () => (map ??= sources()) });
  return { recipe, keys };
}

/** A copy without the fields set to undefined, which JSON leaves out (readers treat both alike). */
function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

/** Whether JSON would give this value back as it is (no undefined fields, functions, -0, NaN, class instances). */
export function survivesJson(value: unknown): boolean {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return true;
  if (typeof value === 'number') return Number.isFinite(value) && !Object.is(value, -0);
  if (Array.isArray(value)) return value.every(survivesJson);
  if (typeof value !== 'object') return false;
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return false;
  for (const v of Object.values(value as object)) if (!survivesJson(v)) return false;
  return true;
}
