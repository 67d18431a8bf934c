// The key of a node: sha256 of a canonical, labelled structure of everything that determines its output.
import { hash } from 'node:crypto';
import { arch, platform } from 'node:os';
import { canonicalJson } from '../util/canonical.js';
import { keyFromDigest, type Key, type NodeId } from '../util/ids.js';
import type { ContentHasher } from './content-hash.js';
import type { CompiledRecipe, InputRef, NodeSpec } from './types.js';

export const KEY_VERSION = 1;

export type KeyInput = { node: Key; port: string } | { content: string; kind: 'file' | 'folder' };

export interface KeyStructure {
  keyVersion: number;
  plugin: { id: string; version: string; codeDigest: string };
  params: Record<string, unknown>;
  inputs: Record<string, KeyInput | KeyInput[]>;
  env: Record<string, string | null>;
  runtime: Record<string, string>;
}

export interface NodeKey { key: Key; structure: KeyStructure }

export function keyOf(structure: KeyStructure): Key {
  return keyOfText(canonicalJson(structure));
}

function keyOfText(text: string): Key {
  // The one-shot hash: a Hash object per key costs more than hashing the key's text (10^4 keys a plan).
  return keyFromDigest(hash('sha256', text, 'hex'));
}

/**
 * canonicalJson(structure), with the plugin and runtime members (the same for every node of a plugin)
 * written once by the caller. Members in sorted order: env, inputs, keyVersion, params, plugin, runtime.
 */
function structureText(s: KeyStructure, pluginText: string, runtimeText: string): string {
  if (s.params === undefined || s.inputs === undefined || s.env === undefined) return canonicalJson(s);
  return `{"env":${canonicalJson(s.env)},"inputs":${inputsText(s.inputs)},"keyVersion":${canonicalJson(s.keyVersion)}`
    + `,"params":${canonicalJson(s.params)},"plugin":${pluginText},"runtime":${runtimeText}}`;
}

/** canonicalJson of the inputs member: ports sorted, each input an object of two strings in sorted order. */
function inputsText(inputs: KeyStructure['inputs']): string {
  const ports = Object.keys(inputs);
  if (ports.length > 1) ports.sort();
  let out = '{';
  for (let i = 0; i < ports.length; i++) {
    const value = inputs[ports[i]!]!;
    let text: string;
    if (Array.isArray(value)) {
      text = '[';
      for (let j = 0; j < value.length; j++) text += (j ? ',' : '') + inputText(value[j]!);
      text += ']';
    } else text = inputText(value);
    out += (i ? ',' : '') + JSON.stringify(ports[i]) + ':' + text;
  }
  return out + '}';
}

function inputText(input: KeyInput): string {
  if ('node' in input) {
    if (typeof input.node === 'string' && typeof input.port === 'string') return `{"node":${JSON.stringify(input.node)},"port":${JSON.stringify(input.port)}}`;
  } else if (typeof input.content === 'string' && typeof input.kind === 'string') {
    return `{"content":${JSON.stringify(input.content)},"kind":${JSON.stringify(input.kind)}}`;
  }
  return canonicalJson(input);
}

/** Facts of this machine that change numeric results; plugins add their own (e.g. the tfjs backend). */
export function baseRuntime(): Record<string, string> {
  return { platform: platform(), arch: arch(), node: process.versions.node.split('.')[0]! };
}

/** Computes every node's key, upstream first (a Merkle chain over the DAG). */
export async function computeKeys(recipe: CompiledRecipe, hasher: ContentHasher, env: NodeJS.ProcessEnv = process.env): Promise<Map<NodeId, NodeKey>> {
  const keys = new Map<NodeId, NodeKey>();
  const runtimeCache = new Map<string, Record<string, string>>();
  const sharedText = new Map<object, string>();
  const textOf = (part: object) => {
    let text = sharedText.get(part);
    if (text === undefined) sharedText.set(part, text = canonicalJson(part));
    return text;
  };
  const pluginParts = new Map<object, KeyStructure['plugin']>();
  const base = baseRuntime();
  for (const id of recipe.order) {
    const node = recipe.nodes.get(id)!;
    const inputs: KeyStructure['inputs'] = {};
    for (const [port, value] of Object.entries(node.inputs)) {
      inputs[port] = Array.isArray(value) ? await keyInputs(value, keys, hasher) : (nodeKeyInput(value, keys) ?? await keyInput(value, keys, hasher));
    }
    let runtime = runtimeCache.get(node.plugin.entry);
    if (!runtime) {
      runtime = { ...base, ...(node.plugin.def.runtime?.() ?? {}) };
      runtimeCache.set(node.plugin.entry, runtime);
    }
    // One plugin member per loaded plugin: its canonical text is then written once.
    let plugin = pluginParts.get(node.plugin);
    if (!plugin) pluginParts.set(node.plugin, plugin = { id: node.plugin.def.id, version: node.plugin.def.version, codeDigest: node.plugin.codeDigest });
    const structure: KeyStructure = {
      keyVersion: KEY_VERSION,
      plugin,
      params: node.params,
      inputs,
      env: declaredEnv(node, env),
      runtime,
    };
    keys.set(id, { key: keyOfText(structureText(structure, textOf(plugin), textOf(runtime))), structure });
  }
  return keys;
}

/** Upstream references resolve without I/O (most inputs: no await per node on large recipes). */
function nodeKeyInput(ref: InputRef, keys: Map<NodeId, NodeKey>): KeyInput | undefined {
  return ref.kind === 'node' ? { node: keys.get(ref.node)!.key, port: ref.port } : undefined;
}

async function keyInputs(refs: InputRef[], keys: Map<NodeId, NodeKey>, hasher: ContentHasher): Promise<KeyInput[]> {
  const out: KeyInput[] = [];
  for (const ref of refs) out.push(nodeKeyInput(ref, keys) ?? await keyInput(ref, keys, hasher));
  return out;
}

async function keyInput(ref: InputRef, keys: Map<NodeId, NodeKey>, hasher: ContentHasher): Promise<KeyInput> {
  if (ref.kind === 'node') return { node: keys.get(ref.node)!.key, port: ref.port };
  const { kind, sha256 } = await hasher.hashPath(ref.path);
  return { content: sha256, kind };
}

function declaredEnv(node: NodeSpec, env: NodeJS.ProcessEnv): Record<string, string | null> {
  const out: Record<string, string | null> = {};
  for (const name of node.plugin.def.env ?? []) out[name] = env[name] ?? null;
  return out;
}

export interface KeyDifference {
  component: 'keyVersion' | 'plugin' | 'params' | 'inputs' | 'env' | 'runtime';
  path: string;
  before: unknown;
  after: unknown;
}

/** Which labelled components differ between an old structure and a new one, leaf by leaf. */
export function diffKeyStructures(before: KeyStructure, after: KeyStructure): KeyDifference[] {
  const out: KeyDifference[] = [];
  const components: KeyDifference['component'][] = ['keyVersion', 'plugin', 'params', 'inputs', 'env', 'runtime'];
  for (const component of components) {
    diffValue(before?.[component], after?.[component], component, component, out);
  }
  return out;
}

function diffValue(a: unknown, b: unknown, path: string, component: KeyDifference['component'], out: KeyDifference[]): void {
  if (canonicalJson(a ?? null) === canonicalJson(b ?? null)) return;
  const bothObjects = a && b && typeof a === 'object' && typeof b === 'object' && !Array.isArray(a) && !Array.isArray(b);
  // Inputs are compared per port: an upstream key is one fact, not a tree.
  if (bothObjects && !(component === 'inputs' && path !== 'inputs')) {
    const keys = new Set([...Object.keys(a as object), ...Object.keys(b as object)]);
    for (const k of [...keys].sort()) diffValue((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], `${path}.${k}`, component, out);
    return;
  }
  out.push({ component, path, before: a, after: b });
}
