// A compiled recipe and its keys as plain JSON, and back. Plugins are not stored (they are code):
// each node names a plugin by its index in a list of references, which the reader loads again and
// checks against the fingerprint stored here. What follows from the rest is left out: a node's
// upstream list (the nodes its inputs name), item key (from its id), the stages' node lists and the
// order (when they are the node list's), and its key inputs (an upstream node's key, a path's
// digest). Parts of key structures that every node of a plugin shares (identity, runtime, declared
// env) are stored once per plugin, every key once (in one string, node after node). Nodes are stored
// field by field (an array per field) and name other nodes by index, so that reading 10^4 of them
// makes few objects beyond the ones the compiled recipe holds. What does not fit this form is not cached.
import type { LoadedPlugin } from '../plugin/registry.js';
import type { Plain } from '../recipe/load.js';
import { canonicalJson, sha256Hex } from '../util/canonical.js';
import type { KeyInput, KeyStructure, NodeKey } from './key.js';
import type { CompiledRecipe, InputRef, NodeInput, NodeSpec, Resources } from './types.js';
import type { Key, NodeId } from '../util/ids.js';

export const CACHE_FORMAT = 3;

export interface CachedPlugin {
  ref: string;
  fingerprint: string;
  keyPlugin: KeyStructure['plugin'];
  runtime: Record<string, string>;
  /** The declared env of its nodes' keys (computeKeys reads it alike for each node of the plugin). */
  keyEnv: KeyStructure['env'];
}

/** An external input whose content entered keys: its digest then, checked again before reuse. */
export interface CachedInput { path: string; kind: 'file' | 'folder'; sha256: string }

/**
 * An input reference: `n ≥ 0` is output port `ports[⌊n / N⌋]` of node `n mod N` (N nodes), a
 * negative `n` the external input `inputs[-1 - n]`.
 */
type CachedRef = number;
type CachedInputs = Record<string, CachedRef | CachedRef[]>;

const PLAIN = 0;
/** A foreach instance: `instance` is its item, its item key is what its id has between the brackets. */
const FOREACH = 1;
/** A repeat iteration: `instance` is the iteration. */
const REPEAT = 2;

/** Node i's fields at index i of each array. */
export interface CachedNodes {
  ids: NodeId[];
  stage: number[];
  plugin: number[];
  params: Record<string, unknown>[];
  inputs: CachedInputs[];
  resources: Resources[];
  kind: (typeof PLAIN | typeof FOREACH | typeof REPEAT)[];
  /** The item or iteration (null for a plain node). */
  instance: Plain[];
}

/** What of a node does not follow from the rest (nothing that compileRecipe and computeKeys make). */
interface OddParts {
  keyInputs?: KeyStructure['inputs'];
  keyEnv?: KeyStructure['env'];
  keyParams?: Record<string, unknown>;
  upstream?: NodeId[];
}

export interface CachedCompile {
  keyVersion: number;
  recipe: Omit<CompiledRecipe, 'nodes' | 'stages' | 'sources' | 'order'>;
  /** The stages in the recipe's order; each one's nodes are the nodes of that stage, in node order. */
  stages: string[];
  ports: string[];
  plugins: CachedPlugin[];
  inputs: CachedInput[];
  nodes: CachedNodes;
  /** Each node's key (64 hex digits), in node order. */
  keys: string;
  /** Node indices in topological order; absent when that is the node order. */
  order?: number[];
  /** By node index. */
  odd?: Record<string, OddParts>;
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
  // Each node's index and key (the keys by index spare a lookup per reference).
  const index = new Map<NodeId, number>();
  const nodeKeys: (NodeKey | undefined)[] = [];
  for (const id of recipe.nodes.keys()) {
    index.set(id, index.size);
    nodeKeys.push(keys.get(id));
  }
  const stages = [...recipe.stages.keys()];
  const stageIndex = new Map(stages.map((s, i) => [s, i]));
  const byStage: NodeId[][] = stages.map(() => []);
  const pluginIndex = new Map<LoadedPlugin, number>();
  const plugins: CachedPlugin[] = [];
  const refs = new RefWriter(index, nodeKeys);
  const nodes: CachedNodes = { ids: [], stage: [], plugin: [], params: [], inputs: [], resources: [], kind: [], instance: [] };
  const odd: Record<string, OddParts> = {};
  const keyList: Key[] = [];
  let keyVersion: number | undefined;
  for (const spec of recipe.nodes.values()) {
    // A sweep's node (not cached). Every other field of NodeSpec is stored or follows from what is.
    if (spec.trials !== undefined) return undefined;
    const nodeKey = nodeKeys[nodes.ids.length];
    const stage = stageIndex.get(spec.stage);
    const kind = instanceKind(spec);
    if (!nodeKey || nodeKey.key.length !== 64 || stage === undefined || kind === undefined) return undefined;
    if (!survivesJson(spec.params) || !survivesJson(spec.resources) || (spec.item !== undefined && !survivesJson(spec.item))) return undefined;
    const s = nodeKey.structure;
    if (keyVersion !== undefined && s.keyVersion !== keyVersion) return undefined;
    keyVersion = s.keyVersion;
    let p = pluginIndex.get(spec.plugin);
    if (p === undefined) {
      p = plugins.length;
      pluginIndex.set(spec.plugin, p);
      plugins.push({ ref: spec.plugin.ref, fingerprint: pluginFingerprint(spec.plugin), keyPlugin: s.plugin, runtime: s.runtime, keyEnv: s.env });
    }
    const shared = plugins[p]!; // p was handed out by pluginIndex, one per pushed plugin
    // Stored once per plugin, so every node of the plugin must agree (computeKeys shares one runtime object per plugin).
    const samePlugin = s.plugin.id === shared.keyPlugin.id && s.plugin.version === shared.keyPlugin.version
      && s.plugin.codeDigest === shared.keyPlugin.codeDigest;
    if (!samePlugin || (s.runtime !== shared.runtime && canonicalJson(s.runtime) !== canonicalJson(shared.runtime))) return undefined;
    const inputs = refs.encode(spec, s.inputs);
    if (!inputs) return undefined;
    const sameEnv = sameKeyEnv(s.env, shared.keyEnv);
    if (!refs.keyInputsFollow || !sameEnv || s.params !== spec.params || !refs.upstreamFollows) {
      odd[nodes.ids.length] = {
        ...(refs.keyInputsFollow ? {} : { keyInputs: s.inputs }),
        ...(sameEnv ? {} : { keyEnv: s.env }),
        ...(s.params === spec.params ? {} : { keyParams: s.params }),
        ...(refs.upstreamFollows ? {} : { upstream: spec.upstream }),
      };
    }
    byStage[stage]!.push(spec.id); // stage indexes stages, and byStage has one list per stage
    nodes.ids.push(spec.id);
    nodes.stage.push(stage);
    nodes.plugin.push(p);
    nodes.params.push(spec.params);
    nodes.inputs.push(inputs);
    nodes.resources.push(spec.resources);
    nodes.kind.push(kind);
    nodes.instance.push(kind === FOREACH ? spec.item! : kind === REPEAT ? spec.iteration! : null); // instanceKind checked they are set
    keyList.push(nodeKey.key);
  }
  if (stages.some((s, i) => !sameIds(byStage[i]!, recipe.stages.get(s)!))) return undefined;
  const order: number[] = [];
  for (const id of recipe.order) {
    const i = index.get(id);
    if (i === undefined) return undefined;
    order.push(i);
  }
  if (order.length !== nodes.ids.length) return undefined;
  const { nodes: _nodes, stages: _stages, sources: _sources, order: _order, ...rest } = recipe;
  const cached: CachedCompile = {
    keyVersion: keyVersion ?? 0,
    recipe: withoutUndefined(rest),
    stages,
    ports: refs.ports,
    plugins,
    inputs: refs.inputs,
    nodes,
    keys: keyList.join(''),
    ...(order.every((n, i) => n === i) ? {} : { order }),
    ...(Object.keys(odd).length ? { odd } : {}),
  };
  // The nodes' own values were checked above; the rest is small.
  const { nodes: _checked, keys: _text, order: _indices, ...small } = cached;
  return survivesJson(small) ? cached : undefined;
}

/** Which of the compiler's three kinds of node this is, or undefined when it is none of them as the compiler makes it. */
function instanceKind(spec: NodeSpec): typeof PLAIN | typeof FOREACH | typeof REPEAT | undefined {
  const { id, stage, item, itemKey, iteration } = spec;
  if (itemKey !== undefined) return item !== undefined && iteration === undefined && isNamed(id, stage, '[', itemKey, ']') ? FOREACH : undefined;
  if (item !== undefined) return undefined;
  return iteration === undefined ? PLAIN : REPEAT;
}

/** Whether `id` is `${stage}${open}${name}${close}` (without building that string for each of 10^4 nodes). */
function isNamed(id: string, stage: string, open: string, name: string, close: string): boolean {
  return id.length === stage.length + open.length + name.length + close.length && id.startsWith(stage)
    && id.startsWith(open, stage.length) && id.startsWith(name, stage.length + open.length) && id.endsWith(close);
}

/**
 * Encodes input references, pairing each path with the content digest its key used, and notes
 * whether the node's key inputs and upstream list are the ones that follow from its inputs.
 */
class RefWriter {
  readonly ports: string[] = [];
  readonly inputs: CachedInput[] = [];
  /** Of the last node encoded: its key inputs are what computeKeys makes of its inputs. */
  keyInputsFollow = true;
  /** Of the last node encoded: its upstream list is the nodes its inputs name, each once, in order. */
  upstreamFollows = true;
  private readonly portIndex = new Map<string, number>();
  private readonly inputIndex = new Map<string, number>();
  private upstream: readonly NodeId[] = [];
  private upstreamSeen = 0;
  private upstreamSet: Set<NodeId> | undefined;

  constructor(private readonly index: Map<NodeId, number>, private readonly keys: readonly (NodeKey | undefined)[]) {}

  /** The node's encoded inputs; undefined when a reference cannot be stored. */
  encode(spec: NodeSpec, used: KeyStructure['inputs']): CachedInputs | undefined {
    const inputs: CachedInputs = {};
    this.keyInputsFollow = true;
    this.upstreamFollows = true;
    this.upstream = spec.upstream;
    this.upstreamSeen = 0;
    this.upstreamSet = undefined;
    let ports = 0;
    for (const port in spec.inputs) {
      ports++;
      const value = spec.inputs[port]!;
      const usedHere = used[port];
      if (Array.isArray(value)) {
        if (!Array.isArray(usedHere) || usedHere.length !== value.length) return undefined;
        const list: CachedRef[] = [];
        for (let i = 0; i < value.length; i++) {
          const r = this.one(value[i]!, usedHere[i]!);
          if (r === undefined) return undefined;
          list.push(r);
        }
        inputs[port] = list;
      } else {
        if (usedHere === undefined || Array.isArray(usedHere)) return undefined;
        const r = this.one(value, usedHere);
        if (r === undefined) return undefined;
        inputs[port] = r;
      }
    }
    if (ports !== fieldCount(used)) this.keyInputsFollow = false;
    if (this.upstreamSeen !== this.upstream.length) this.upstreamFollows = false;
    return inputs;
  }

  private one(ref: InputRef, used: KeyInput): CachedRef | undefined {
    if (ref.kind === 'node') {
      const node = this.index.get(ref.node);
      const key = node === undefined ? undefined : this.keys[node]?.key;
      if (node === undefined || key === undefined) return undefined;
      let port = this.portIndex.get(ref.port);
      if (port === undefined) {
        port = this.ports.length;
        this.portIndex.set(ref.port, port);
        this.ports.push(ref.port);
      }
      if (!('node' in used) || used.node !== key || used.port !== ref.port) this.keyInputsFollow = false;
      this.noteUpstream(ref.node);
      return port * this.index.size + node;
    }
    if (!('content' in used)) return undefined;
    let i = this.inputIndex.get(ref.path);
    if (i === undefined) {
      i = this.inputs.length;
      this.inputIndex.set(ref.path, i);
      this.inputs.push({ path: ref.path, kind: used.kind, sha256: used.content });
    }
    const seen = this.inputs[i]!; // i indexes inputs
    // Two nodes keyed with different contents of one file: the file changed while keying.
    if (seen.sha256 !== used.content || seen.kind !== used.kind) return undefined;
    return -1 - i;
  }

  /** Checks the next node an input names against the node's upstream list (the compiler lists each node once, in input order). */
  private noteUpstream(id: NodeId): void {
    const up = this.upstream;
    const seen = this.upstreamSeen;
    if (seen <= 8) {
      for (let j = 0; j < seen; j++) if (up[j] === id) return;
    } else {
      this.upstreamSet ??= new Set(up.slice(0, seen));
      if (this.upstreamSet.has(id)) return;
    }
    if (up[seen] !== id) {
      this.upstreamFollows = false;
      return;
    }
    this.upstreamSeen++;
    this.upstreamSet?.add(id);
  }
}

/**
 * The recipe and keys again, with the plugins loaded for this process (in the order of `cached.plugins`).
 * Takes over `cached`: its params and resources objects become the specs'. Undefined when the entry
 * is not one toCached could have written.
 */
export function fromCached(
  cached: CachedCompile,
  plugins: LoadedPlugin[],
  sources: () => CompiledRecipe['sources'],
): { recipe: CompiledRecipe; keys: Map<NodeId, NodeKey> } | undefined {
  const { ids, stage, plugin, params, inputs, resources, kind, instance } = cached.nodes;
  const count = ids.length;
  const columns = [stage, plugin, params, inputs, resources, kind, instance];
  if (columns.some((c) => c.length !== count) || cached.keys.length !== count * 64 || plugins.length !== cached.plugins.length) return undefined;
  const emptyEnv = cached.plugins.map((p) => fieldCount(p.keyEnv) === 0);
  const refs = new RefReader(cached, ids);
  const nodes = new Map<NodeId, NodeSpec>();
  const keys = new Map<NodeId, NodeKey>();
  const byStage: NodeId[][] = cached.stages.map(() => []);
  for (let i = 0; i < count; i++) {
    const id = ids[i]!;
    const stageName = cached.stages[stage[i]!];
    const p = plugin[i]!;
    const loaded = plugins[p];
    const shared = cached.plugins[p];
    if (stageName === undefined || !loaded || !shared || !refs.decode(inputs[i]!)) return undefined;
    const odd = cached.odd?.[i];
    const k = kind[i];
    nodes.set(id, {
      id, stage: stageName, plugin: loaded, params: params[i]!, inputs: refs.inputs,
      item: k === FOREACH ? instance[i] : undefined,
      // The compiler names a foreach instance stage[itemKey] (toCached checked).
      itemKey: k === FOREACH ? id.slice(stageName.length + 1, -1) : undefined,
      iteration: k === REPEAT ? instance[i] as number : undefined,
      resources: resources[i]!,
      upstream: odd?.upstream ?? refs.upstream,
    });
    byStage[stage[i]!]!.push(id);
    keys.set(id, {
      key: refs.keyAt(i),
      structure: {
        keyVersion: cached.keyVersion,
        plugin: shared.keyPlugin,
        params: odd?.keyParams ?? params[i]!,
        inputs: odd?.keyInputs ?? refs.keyInputs,
        env: odd?.keyEnv ?? (emptyEnv[p] ? {} : { ...shared.keyEnv }),
        runtime: shared.runtime,
      },
    });
  }
  let order: NodeId[];
  if (cached.order) {
    order = [];
    for (const i of cached.order) {
      const id = ids[i];
      if (id === undefined) return undefined;
      order.push(id);
    }
  } else order = ids.slice();
  const recipe = { ...cached.recipe, nodes, order, stages: new Map(cached.stages.map((s, i) => [s, byStage[i]!])) } as Omit<CompiledRecipe, 'sources'> as CompiledRecipe;
  // The source map only serves error messages: it is read from the recipe files when first asked for.
  let map: CompiledRecipe['sources'] | undefined;
  Object.defineProperty(recipe, 'sources', { enumerable: true, configurable: true, get: () => (map ??= sources()) });
  return { recipe, keys };
}

/** Decodes a node's input references into the references, key inputs and upstream list that compiling and keying made. */
class RefReader {
  /** Of the last node decoded. */
  inputs: Record<string, NodeInput> = {};
  keyInputs: KeyStructure['inputs'] = {};
  upstream: NodeId[] = [];
  /** Set by one() with the reference it returns. */
  private keyInput: KeyInput | undefined;
  private upstreamSet: Set<NodeId> | undefined;
  private readonly keys: Key[];

  constructor(private readonly cached: CachedCompile, private readonly ids: NodeId[]) {
    this.keys = new Array<Key>(ids.length);
  }

  /** The key of node `i` (a slice of the keys' text, made once). */
  keyAt(i: number): Key {
    return (this.keys[i] ??= this.cached.keys.slice(i * 64, i * 64 + 64) as Key);
  }

  /** Decodes into inputs, keyInputs and upstream; false when a reference names nothing here. */
  decode(encoded: CachedInputs): boolean {
    // Without inputs, the node keeps the empty object the entry was parsed into (it is fromCached's to take).
    let inputs: Record<string, NodeInput> | undefined;
    const keyInputs: KeyStructure['inputs'] = {};
    this.upstream = [];
    this.upstreamSet = undefined;
    for (const port in encoded) {
      inputs ??= {};
      const value = encoded[port]!;
      if (Array.isArray(value)) {
        const list: InputRef[] = [];
        const keyList: KeyInput[] = [];
        for (const r of value) {
          const ref = this.one(r);
          if (!ref) return false;
          list.push(ref);
          keyList.push(this.keyInput!);
        }
        inputs[port] = list;
        keyInputs[port] = keyList;
      } else {
        const ref = this.one(value);
        if (!ref) return false;
        inputs[port] = ref;
        keyInputs[port] = this.keyInput!;
      }
    }
    this.inputs = inputs ?? (encoded as Record<string, never>);
    this.keyInputs = keyInputs;
    return true;
  }

  /** The reference `r` names (its key input in keyInput; a node it names joins the upstream list), or undefined when it names nothing here. */
  private one(r: CachedRef): InputRef | undefined {
    if (r < 0) {
      const input = this.cached.inputs[-1 - r];
      if (!input) return undefined;
      this.keyInput = { content: input.sha256, kind: input.kind };
      return { kind: 'path', path: input.path };
    }
    const count = this.ids.length;
    const node = r % count;
    const port = this.cached.ports[(r - node) / count];
    if (port === undefined || !Number.isInteger(r)) return undefined;
    const id = this.ids[node]!; // 0 ≤ node < count
    this.keyInput = { node: this.keyAt(node), port };
    this.addUpstream(id);
    return { kind: 'node', node: id, port };
  }

  /** Each node once, in the order the inputs name them (as the compiler lists them); a Set only for long lists. */
  private addUpstream(id: NodeId): void {
    const up = this.upstream;
    if (up.length <= 8) {
      if (up.includes(id)) return;
    } else {
      this.upstreamSet ??= new Set(up);
      if (this.upstreamSet.has(id)) return;
      this.upstreamSet.add(id);
    }
    up.push(id);
  }
}

/** Whether two declared-env maps are equal (without listing their names: most are empty, 10^4 of them a save). */
function sameKeyEnv(a: KeyStructure['env'], b: KeyStructure['env']): boolean {
  if (a === b) return true;
  let names = 0;
  for (const name in a) {
    if (!Object.hasOwn(b, name) || a[name] !== b[name]) return false;
    names++;
  }
  for (const _ in b) names--;
  return names === 0;
}

/** The number of fields of a small object, without an array of their names. */
function fieldCount(value: object): number {
  let n = 0;
  for (const _ in value) n++;
  return n;
}

function sameIds(a: readonly NodeId[], b: readonly NodeId[]): boolean {
  return a.length === b.length && a.every((id, i) => id === b[i]);
}

/** A copy without the fields set to undefined, which JSON leaves out (readers treat both alike). */
function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

/** Whether JSON would give this value back as it is (no undefined fields, functions, -0, NaN, class instances). */
export function survivesJson(value: unknown): boolean {
  if (value === null || typeof value !== 'object') return primitiveSurvives(value);
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      if (!(i in value)) return false;
      const v: unknown = value[i];
      if (v === null || typeof v !== 'object' ? !primitiveSurvives(v) : !survivesJson(v)) return false;
    }
    return true;
  }
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return false;
  // for…in lists the own enumerable fields here (a plain object's prototype has none), without an array of them.
  for (const name in value) {
    const v = (value as Record<string, unknown>)[name];
    if (v === null || typeof v !== 'object' ? !primitiveSurvives(v) : !survivesJson(v)) return false;
  }
  return true;
}

function primitiveSurvives(value: unknown): boolean {
  switch (typeof value) {
    case 'string': case 'boolean': return true;
    case 'number': return Number.isFinite(value) && !Object.is(value, -0);
    default: return value === null;
  }
}
