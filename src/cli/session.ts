// What most commands share: compile the recipe, compute keys, open the store.
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { ContentHasher } from '../graph/content-hash.js';
import { computeKeys, type NodeKey } from '../graph/key.js';
import { selectNodes } from '../graph/node-selection.js';
import type { CompiledRecipe } from '../graph/types.js';
import { saveDefinitionCache, useDefinitionCache } from '../plugin/registry.js';
import { saveValidatorCache, useValidatorCache } from '../recipe/validate.js';
import { Store } from '../store/store.js';
import { UsageError } from './args.js';
import type { CliIO } from './command.js';
import type { NodeId } from '../util/ids.js';

export function runsDirOf(flag: string | undefined, io: CliIO): string {
  return resolve(io.cwd, flag ?? io.env.RETORT_RUNS_DIR ?? 'runs');
}

export function storeDirOf(runsDir: string): string {
  return join(runsDir, 'store');
}

export interface Prepared {
  recipe: CompiledRecipe;
  keys: Map<NodeId, NodeKey>;
  runsDir: string;
  hasher: ContentHasher;
}

/**
 * Switches on what earlier runs learnt, so a run whose nodes are all cached need not import plugin
 * code or compile schemas (both saved by openStore): plugin definitions (data) beside the store, and
 * the compiled schema validators (code, run when loaded) in this user's own cache folder, which no
 * one else can write, rather than in a runs folder that may be shared.
 */
export function useCaches(runsDir: string, env: NodeJS.ProcessEnv): void {
  useDefinitionCache(join(runsDir, 'plugin-cache.json'));
  useValidatorCache(join(userCacheDir(env), 'schema-cache.json'));
}

/** $RETORT_CACHE_DIR, else retort/ under $XDG_CACHE_HOME or ~/.cache. */
export function userCacheDir(env: NodeJS.ProcessEnv): string {
  return env.RETORT_CACHE_DIR || join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'retort');
}

/** Compiles and keys a recipe; nothing is written anywhere (a recipe error must leave the store untouched). */
export async function prepare(recipePath: string, overrides: string[], runsDir: string, io: CliIO): Promise<Prepared> {
  useCaches(runsDir, io.env);
  const { compileRecipe } = await import('../graph/compile.js');
  const recipe = await compileRecipe(resolve(io.cwd, recipePath), { overrides, env: io.env });
  const hasher = new ContentHasher(join(runsDir, 'hash-cache.json'));
  const keys = await computeKeys(recipe, hasher, io.env);
  return { recipe, keys, runsDir, hasher };
}

/** Opens the store; the runs folder then exists, and what prepare() learnt of plugins is kept beside it. */
export async function openStore(runsDir: string): Promise<Store> {
  const store = await Store.open(storeDirOf(runsDir));
  saveDefinitionCache();
  saveValidatorCache();
  return store;
}

/** --force and --target name stages or node ids of the recipe: the node ids they select; anything else is a usage error with a hint. */
export function selectedNodes(recipe: CompiledRecipe, names: readonly string[], flag: string): NodeId[] {
  const selection = selectNodes(recipe, names, flag);
  if (selection.ok) return selection.nodes;
  const { where, name, hint, stages } = selection.error;
  throw new UsageError(`${where}: unknown stage '${name}'${hint ? `; ${hint}` : ''} (stages: ${stages.join(', ')})`);
}

/** The targeted nodes and everything upstream of them: what a run with these targets may touch. */
export function targetClosure(recipe: CompiledRecipe, targets: readonly NodeId[]): Set<NodeId> {
  const stack = [...targets];
  const seen = new Set<NodeId>();
  while (stack.length) {
    const id = stack.pop()!;
    if (seen.has(id)) continue;
    seen.add(id);
    stack.push(...recipe.nodes.get(id)!.upstream);
  }
  return seen;
}
