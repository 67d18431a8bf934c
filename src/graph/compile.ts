// Compiles a loaded recipe into nodes: overrides, vars, plugins, foreach/repeat expansion, params and inputs.
import { existsSync } from 'node:fs';
import { basename, dirname, extname, resolve } from 'node:path';
import { loadPlugin, PluginNotFound, type LoadedPlugin } from '../plugin/registry.js';
import { RecipeError, type Diagnostic } from '../recipe/diagnostic.js';
import { InterpolationError, interpolateValue, isStageRef, resolveVars, type Resolved, type Scope, type StageRef } from '../recipe/interpolate.js';
import { loadRecipe, type LoadedRecipe, type Plain } from '../recipe/load.js';
import { applyOverride, parseOverrides, type Override } from '../recipe/overrides.js';
import { formatKeyPath, type KeyPath } from '../recipe/source-map.js';
import { validateWithSchema } from '../recipe/validate.js';
import { closest, didYouMean } from '../util/suggest.js';
import { undeclaredParams } from './open-params.js';
import { pluginProblem } from './plugin-problem.js';
import { Problems } from './problems.js';
import { recipeSchema, stageSchema, type RecipeDoc, type ReportDoc, type StageDoc, type TrackDoc } from './recipe-schema.js';
import { explainRemovedTableKeys, tableProblems } from './report-checks.js';
import { resourceProblems } from './resources.js';
import { topologicalOrder } from './topological-order.js';
import { parseTimeLimit } from '../util/time-limit.js';
import { nodeId, type NodeId } from '../util/ids.js';
import type { CompiledRecipe, ExecutorConfig, InputRef, NodeInput, NodeSpec, Resources } from './types.js';

export interface CompileOptions {
  overrides?: string[];
  /** Overrides parsed elsewhere (a sweep trial's assignments), applied after `overrides`. */
  parsedOverrides?: Override[];
  /** The recipe already loaded (a sweep compiles one copy per trial); it is modified in place. */
  loaded?: LoadedRecipe;
  /** `loaded` passed the recipe schema before any override (a sweep checks it once for all its trials). */
  loadedIsValid?: boolean;
  env?: NodeJS.ProcessEnv;
}

interface Instance {
  id: NodeId;
  stage: string;
  item?: Plain;
  itemKey?: string;
  iteration?: number;
}

export async function compileRecipe(file: string, opts: CompileOptions = {}): Promise<CompiledRecipe> {
  const env = opts.env ?? process.env;
  const loaded = opts.loaded ?? loadRecipe(file);
  const { doc, sources } = loaded;
  const recipeDir = dirname(loaded.file);
  const problems = new Problems(sources, loaded.file);
  const schemaContext = { sources, basePath: [], fallback: problems.fallback };

  // Each phase reports every error it finds and goes on with what is still checkable: a stage that failed
  // is left out of later phases (and so are checks that depend on it), everything else is checked.
  const broken = new Set<string>();
  const schemaProblems = opts.loadedIsValid ? [] : validateWithSchema(recipeSchema(), doc, schemaContext);
  explainRemovedTableKeys(schemaProblems);
  problems.add(schemaProblems);
  const parsed = parseOverrides(opts.overrides ?? []);
  parsed.overrides.push(...(opts.parsedOverrides ?? []));
  problems.add(parsed.errors);
  const stagesOk = doc.stages !== null && typeof doc.stages === 'object' && !Array.isArray(doc.stages);
  // Faults outside stages and report (vars, track, the shape of `stages`) leave nothing to check on.
  const inStageOrReport = (d: Diagnostic) => /^(stages[.[]|report\b)/.test(d.keyPath ?? '');
  if (!stagesOk || !schemaProblems.every(inStageOrReport)) problems.throwIfAny();

  // Read as the schema types it from here: a fault outside stages and report has stopped the compile above, and a
  // stage with one is marked broken and left out (its plugin is read with a check).
  const recipe = doc as RecipeDoc;
  const stagesDoc = recipe.stages;
  const stageIds = Object.keys(stagesDoc);
  const markBroken = (found: Diagnostic[]) => {
    for (const d of found) {
      const stage = /^stages(?:\.([A-Za-z_][\w-]*)|\["([^"]*)"\])/.exec(d.keyPath ?? '');
      const id = stage?.[1] ?? stage?.[2];
      if (id !== undefined) broken.add(id);
    }
  };
  markBroken(schemaProblems);
  const inReport = (d: Diagnostic) => /^report\b/.test(d.keyPath ?? '');
  let reportOk = !schemaProblems.some(inReport);

  // A -S override of a stage's plugin is applied before plugins load: the stage then uses the new plugin.
  const pluginOverride = (o: Override) => o.path[0] === 'stages' && o.path[2] === 'plugin' && o.path.length === 3;
  const applyAll = (list: Override[]) => {
    for (const o of list) {
      const d = applyOverride(doc, sources, o, (stage) => plugins.get(stage)?.def.params as Record<string, unknown> | undefined, stageSchema());
      if (d) problems.add([d]);
    }
  };
  const plugins = new Map<string, LoadedPlugin>();
  applyAll(parsed.overrides.filter(pluginOverride));

  // Plugins are needed to type overrides of params, so load them first (all at once).
  // Results are taken in stage order so that errors and the plugin map do not depend on load timing.
  const loadable = Object.entries(stagesDoc).flatMap(([id, sd]) => typeof sd?.plugin === 'string' && sd.plugin !== '' ? [{ id, ref: sd.plugin }] : []);
  const pluginResults = await Promise.all(loadable.map(({ ref }) => loadPlugin(ref, recipeDir).catch((err: unknown) => {
    if (!(err instanceof PluginNotFound)) throw err;
    return err;
  })));
  loadable.forEach(({ id, ref }, i) => {
    const result = pluginResults[i]!; // one result per loadable stage
    if (result instanceof PluginNotFound) {
      pluginProblem(id, ref, result, recipeDir, problems);
      broken.add(id);
    } else plugins.set(id, result);
  });
  for (const id of stageIds) if (!plugins.has(id)) broken.add(id);

  applyAll(parsed.overrides.filter((o) => !pluginOverride(o)));
  // Overrides may have changed structure (e.g. repeat=abc): check the schema again (repeats are said once).
  if (parsed.overrides.length) {
    const again = validateWithSchema(recipeSchema(), doc, schemaContext);
    problems.add(again);
    markBroken(again);
    if (again.some(inReport)) reportOk = false;
    if (!again.every(inStageOrReport)) problems.throwIfAny();
  }

  const vars = resolveVars(recipe.vars ?? {}, env, (name, err) => {
    problems.interpolation(['vars', name], err, rawString(doc, ['vars', name, ...err.path]));
    problems.throwIfAny();
    throw new RecipeError(problems.list);
  });

  // Expand stages into instances.
  const instances = new Map<string, Instance[]>();
  for (const [stage, sd] of Object.entries(stagesDoc)) {
    if (broken.has(stage)) continue;
    const scope: Scope = { vars, env, hasItem: false };
    const list: Instance[] = [];
    if (sd.foreach !== undefined && sd.repeat !== undefined) {
      problems.at(['stages', stage, 'repeat'], 'a stage cannot have both `foreach` and `repeat`', { hint: 'expected one of them: split the stage into a foreach stage and a repeated stage that consumes it' }, true);
      continue;
    }
    if (sd.initial !== undefined && sd.repeat === undefined) {
      problems.at(['stages', stage, 'initial'], '`initial` only applies to a stage with `repeat`', { hint: 'expected these inputs under `inputs:`, or a `repeat:` count for this stage' }, true);
      continue;
    }
    if (sd.foreach !== undefined) {
      const items = interp(sd.foreach, scope, ['stages', stage, 'foreach'], doc, problems);
      if (items === undefined) continue;
      if (!Array.isArray(items) || items.length === 0) {
        problems.at(['stages', stage, 'foreach'], `expected \`foreach\` to give a non-empty list, got ${describe(items)}`, { raw: rawString(doc, ['stages', stage, 'foreach']), resolved: resolvedText(items) });
        continue;
      }
      const used = new Map<string, number>();
      (items as Plain[]).forEach((item, i) => {
        let key = itemKey(item, i);
        const n = used.get(key) ?? 0;
        used.set(key, n + 1);
        if (n > 0) key = `${key}~${n + 1}`;
        list.push({ id: nodeId(`${stage}[${key}]`), stage, item, itemKey: key });
      });
    } else if (sd.repeat !== undefined) {
      const times = interp(sd.repeat, scope, ['stages', stage, 'repeat'], doc, problems);
      if (times === undefined) continue;
      if (typeof times !== 'number' || !Number.isInteger(times) || times < 1) {
        problems.at(['stages', stage, 'repeat'], `expected \`repeat\` to be an integer ≥ 1, got ${describe(times)}`, { raw: rawString(doc, ['stages', stage, 'repeat']), resolved: resolvedText(times) });
        continue;
      }
      for (let i = 0; i < times; i++) list.push({ id: nodeId(`${stage}#${i}`), stage, iteration: i });
    } else {
      list.push({ id: nodeId(stage), stage });
    }
    instances.set(stage, list);
  }
  for (const stage of stageIds) if (!broken.has(stage) && !instances.has(stage)) broken.add(stage);

  // Resolve params and inputs of every instance.
  const nodes = new Map<NodeId, NodeSpec>();
  for (const [stage, sd] of Object.entries(stagesDoc)) {
    if (broken.has(stage)) continue;
    const plugin = plugins.get(stage)!;
    for (const inst of instances.get(stage) ?? []) {
      const scope: Scope = { vars, env, item: inst.item, hasItem: inst.itemKey !== undefined, iteration: inst.iteration };
      const suffix = inst.itemKey !== undefined ? `(foreach item '${inst.itemKey}')` : inst.iteration !== undefined ? `(iteration ${inst.iteration})` : undefined;
      const paramsPath = ['stages', stage, 'params'];
      const rawParams = sd.params ?? {};
      const params = interp(rawParams, scope, paramsPath, doc, problems, suffix) as Record<string, unknown> | undefined;
      if (params === undefined) continue;
      const paramDiagnostics = validateWithSchema(plugin.def.params, params, {
        sources, basePath: paramsPath, suffix, fallback: problems.fallback, keys: { noun: 'param', owner: `of plugin '${plugin.def.id}'` },
      }, true);
      for (const d of paramDiagnostics) {
        const raw = rawAtKeyPath(doc, d.keyPath);
        if (raw !== undefined && raw.includes('${')) {
          d.raw = raw;
          d.resolved ??= resolvedText(valueAtKeyPath(params, d.keyPath, paramsPath.length));
        }
      }
      problems.add(paramDiagnostics);
      undeclaredParams(plugin, params, paramsPath, problems, suffix);
      const resources = (interp(sd.resources ?? {}, scope, ['stages', stage, 'resources'], doc, problems, suffix) ?? {}) as Resources;
      for (const [key, message] of resourceProblems(resources as Record<string, unknown>)) {
        const path = ['stages', stage, 'resources', key];
        const raw = rawString(doc, path);
        const texts = raw?.includes('${') ? { raw, resolved: resolvedText(resources[key]) } : {};
        problems.at(path, `${message}${suffix ? ` ${suffix}` : ''}`, texts);
      }
      const inputs = resolveInputs(stage, inst, sd, plugin, { ...scope, stages: stageIds }, instances, plugins, broken, doc, problems, recipeDir, suffix);
      const upstream = upstreamOf(inputs);
      nodes.set(
        inst.id,
        { id: inst.id, stage, plugin, params, inputs, item: inst.item, itemKey: inst.itemKey, iteration: inst.iteration, resources, upstream },
      );
    }
  }

  // Nodes left out above (a failed stage, params that did not interpolate) are not waited for.
  for (const node of nodes.values()) node.upstream = node.upstream.filter((id) => nodes.has(id));
  const order = topologicalOrder(nodes, problems);

  const resolvedRest = interp(
    { track: recipe.track ?? {}, report: recipe.report ?? {}, ...(recipe.executor === undefined ? {} : { executor: recipe.executor }) },
    { vars, env, hasItem: false },
    [],
    doc,
    problems,
  ) as { track: TrackDoc; report: ReportDoc; executor?: RecipeDoc['executor'] } | undefined;
  const executor = executorOf(resolvedRest?.executor, problems);
  const tables = reportOk ? resolvedRest?.report.tables ?? [] : [];
  tableProblems(tables, stageIds, plugins, problems);
  problems.throwIfAny();

  return {
    file: loaded.file,
    name: typeof doc.name === 'string' ? doc.name : basename(loaded.file, extname(loaded.file)),
    files: loaded.files,
    sources,
    vars,
    nodes,
    order,
    stages: new Map(stageIds.map((s) => [s, (instances.get(s) ?? []).map((i) => i.id)])),
    track: resolvedRest?.track ?? {},
    ...(executor ? { executor } : {}),
    tables,
  };
}

/** The nodes the inputs read, each once, in the order the inputs name them (no intermediate lists: 10^4 nodes a recipe). */
function upstreamOf(inputs: Record<string, NodeInput>): NodeId[] {
  const seen = new Set<NodeId>();
  for (const value of Object.values(inputs)) {
    if (Array.isArray(value)) {
      for (const ref of value) if (ref.kind === 'node') seen.add(ref.node);
    } else if (value.kind === 'node') seen.add(value.node);
  }
  return [...seen];
}

/** `executor: slurm` or `executor: { type: slurm, … }` (the schema checked its shape) as one form. */
function executorOf(value: RecipeDoc['executor'], problems: Problems): ExecutorConfig | undefined {
  if (value === undefined || value === null) return undefined;
  const config: ExecutorConfig = typeof value === 'string' ? { type: value } : value;
  if (config.timeLimit !== undefined && parseTimeLimit(config.timeLimit) === undefined) {
    problems.at(['executor', 'timeLimit'], `expected a time limit such as 90m, 2h, 30:00 or 1-00:00:00, got ${JSON.stringify(config.timeLimit)}`);
  }
  return config;
}

function resolvedText(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (isStageRef(value)) return `\${${value.text}}`;
  return typeof value === 'string' ? value : JSON.stringify(value);
}

function itemKey(item: Plain, index: number): string {
  if (item === null || typeof item !== 'object') return String(item);
  if (!Array.isArray(item)) {
    for (const field of ['name', 'id', 'key']) {
      const v = (item as Record<string, Plain>)[field];
      if (v !== null && v !== undefined && typeof v !== 'object') return String(v);
    }
  }
  return String(index);
}

function describe(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (Array.isArray(v)) return v.length ? 'a list' : 'an empty list';
  if (isStageRef(v)) return `a stage output (${v.text})`;
  if (typeof v === 'object') return 'a mapping';
  return `${typeof v} ${JSON.stringify(v)}`;
}

function rawString(doc: Record<string, Plain>, path: KeyPath): string | undefined {
  let cur: Plain | undefined = doc;
  for (const seg of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string | number, Plain>)[seg];
  }
  return typeof cur === 'string' ? cur : undefined;
}

function splitKeyPath(keyPath: string): (string | number)[] {
  return keyPath.split('.').flatMap((s) => s.split(/\[(\d+)\]/).filter(Boolean).map((p) => (/^\d+$/.test(p) ? Number(p) : p)));
}

function rawAtKeyPath(doc: Record<string, Plain>, keyPath: string | undefined): string | undefined {
  return keyPath ? rawString(doc, splitKeyPath(keyPath)) : undefined;
}

function valueAtKeyPath(value: unknown, keyPath: string | undefined, skip: number): unknown {
  if (!keyPath) return undefined;
  let cur = value;
  for (const seg of splitKeyPath(keyPath).slice(skip)) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string | number, unknown>)[seg];
  }
  return cur;
}

/** Interpolates a value, turning interpolation errors into located diagnostics (returns undefined on error). */
function interp(value: Plain, scope: Scope, path: KeyPath, doc: Record<string, Plain>, problems: Problems, suffix?: string): Resolved | undefined {
  try {
    return interpolateWithPaths(value, scope, path, doc, problems, suffix);
  } catch (err) {
    if (err instanceof Failed) return undefined;
    throw err;
  }
}

class Failed extends Error {}

function interpolateWithPaths(value: Plain, scope: Scope, path: KeyPath, doc: Record<string, Plain>, problems: Problems, suffix?: string): Resolved {
  if (Array.isArray(value)) return value.map((v, i) => interpolateWithPaths(v, scope, [...path, i], doc, problems, suffix));
  if (value !== null && typeof value === 'object') {
    const out: { [k: string]: Resolved } = {};
    let failed = false;
    for (const [k, v] of Object.entries(value)) {
      try {
        out[k] = interpolateWithPaths(v, scope, [...path, k], doc, problems, suffix);
      } catch (err) {
        if (err instanceof Failed) failed = true;
        else throw err;
      }
    }
    if (failed) throw new Failed();
    return out;
  }
  try {
    return interpolateValue(value, scope);
  } catch (err) {
    if (!(err instanceof InterpolationError)) throw err;
    problems.interpolation(path, err, typeof value === 'string' ? value : undefined, suffix);
    throw new Failed();
  }
}

function resolveInputs(stage: string, inst: Instance, sd: StageDoc, plugin: LoadedPlugin, scope: Scope,
  instances: Map<string, Instance[]>, plugins: Map<string, LoadedPlugin>, broken: Set<string>, doc: Record<string, Plain>, problems: Problems,
  recipeDir: string, suffix: string | undefined): Record<string, NodeInput> {
  const ports = plugin.def.inputs ?? {};
  const portNames = Object.keys(ports);
  const result: Record<string, NodeInput> = {};
  const given: Record<string, { value: Plain; path: KeyPath }> = {};
  for (const [port, value] of Object.entries(sd.inputs ?? {})) given[port] = { value, path: ['stages', stage, 'inputs', port] };
  if (inst.iteration === 0) {
    for (const [port, value] of Object.entries(sd.initial ?? {})) given[port] = { value, path: ['stages', stage, 'initial', port] };
  }
  // A misspelt port is reported once; the port it was meant to be is then not "missing" as well.
  const meant = new Set<string>();
  const unknownPort = (port: string, path: KeyPath) => {
    const guess = closest(port, portNames);
    if (guess) meant.add(guess);
    problems.at(path, `plugin '${plugin.def.id}' has no input port '${port}'`, { hint: didYouMean(port, portNames) ?? portList(ports), notes: guess ? [portList(ports)] : undefined }, true);
  };
  for (const port of Object.keys(sd.initial ?? {})) {
    if (!(port in ports)) unknownPort(port, ['stages', stage, 'initial', port]);
  }
  for (const [port, { value, path }] of Object.entries(given)) {
    if (!(port in ports)) {
      if (path[2] === 'inputs') unknownPort(port, path);
      continue;
    }
    const before = problems.list.length;
    const resolved = interp(value, scope, path, doc, problems, suffix);
    if (resolved === undefined) continue;
    const values = Array.isArray(resolved) ? resolved : [resolved];
    const refs: InputRef[] = [];
    let dropped = false;
    values.forEach((v, i) => {
      const at = Array.isArray(resolved) ? [...path, i] : path;
      if (isStageRef(v)) {
        if (v.prev && inst.iteration === 0) { dropped = true; return; }
        // A stage that failed earlier has been reported; what consumes it is not checked against it.
        if (!v.prev && broken.has(v.stage)) { dropped = true; meant.add(port); return; }
        refs.push(...refsFor(v, stage, inst, instances, plugins, at, rawString(doc, at), problems, suffix));
      } else if (typeof v === 'string') {
        const abs = resolve(recipeDir, v);
        if (!existsSync(abs)) {
          problems.at(at, `input file or folder '${v}' does not exist`, {
            hint: "expected a path relative to the recipe's folder, or a stage output ${stages.<id>.outputs.<port>}", notes: [`looked for ${abs}`],
          });
        }
        refs.push({ kind: 'path', path: abs });
      } else {
        problems.at(at, `expected a stage output or a path for input '${port}', got ${describe(v)}`);
      }
    });
    // Whatever went wrong with this port has been said; a count of what is left would only echo it.
    if (problems.list.length > before) continue;
    if (dropped && refs.length === 0) continue;
    const [only] = refs;
    if (ports[port]?.many) result[port] = refs;
    else if (refs.length === 1 && only) result[port] = only;
    else problems.at(path, ...tooManyValues(port, plugin, resolved, refs.length, instances));
  }
  for (const [port, spec] of Object.entries(ports)) {
    if (spec.optional || port in result || meant.has(port)) continue;
    if (problems.list.some((d) => d.keyPath?.startsWith(formatKeyPath(['stages', stage, 'inputs', port])))) continue;
    const fromPrev = inst.iteration === 0 && sd.inputs && port in sd.inputs;
    const hint = fromPrev
      ? 'iteration 0 has no previous iteration: expected this port under `initial:` as well'
      : `expected \`inputs:\` to give '${port}' a stage output (\${stages.<id>.outputs.<port>}) or a file path`;
    problems.at(['stages', stage], `missing input '${port}' required by plugin '${plugin.def.id}'${suffix ? ` ${suffix}` : ''}`, { hint }, true);
  }
  return result;
}

/** The message for several values given to a port that takes one. */
function tooManyValues(
  port: string,
  plugin: LoadedPlugin,
  resolved: Resolved,
  count: number,
  instances: Map<string, Instance[]>,
): [string, Partial<Diagnostic>] {
  const owner = `input port '${port}' of plugin '${plugin.def.id}' takes one value`;
  if (isStageRef(resolved)) {
    const list = instances.get(resolved.stage) ?? [];
    const example = `\${stages.${resolved.stage}[${list[0]?.itemKey ?? 0}].outputs.${resolved.port}}`;
    return [`${owner}, but \${${resolved.text}} gives ${count}, one per foreach item of stage '${resolved.stage}'`, {
      hint: `expected one instance, e.g. ${example}; or a plugin whose port '${port}' is declared with many: true`,
    }];
  }
  return [`${owner}, got a list of ${count}`, { hint: 'expected a single stage output or path' }];
}

function portList(ports: Record<string, unknown>): string {
  const names = Object.keys(ports);
  return names.length ? `expected one of: ${names.join(', ')}` : 'this plugin takes no inputs';
}

// Instances by item key, built once per stage: references select instances by key in every node.
const itemIndexes = new WeakMap<Instance[], Map<string, Instance>>();
function itemIndex(list: Instance[]): Map<string, Instance> {
  let index = itemIndexes.get(list);
  if (!index) {
    index = new Map(list.map((i) => [i.itemKey!, i]));
    itemIndexes.set(list, index);
  }
  return index;
}

function refsFor(ref: StageRef, stage: string, inst: Instance, instances: Map<string, Instance[]>, plugins: Map<string, LoadedPlugin>,
  path: KeyPath, raw: string | undefined, problems: Problems, suffix: string | undefined): InputRef[] {
  const target = ref.prev ? stage : ref.stage;
  const outputs = Object.keys(plugins.get(target)?.def.outputs ?? {});
  const texts = { raw, resolved: raw === `\${${ref.text}}` ? undefined : `\${${ref.text}}` };
  const at = (suffix ? ` ${suffix}` : '');
  if (!outputs.includes(ref.port)) {
    problems.at(path, `stage '${target}' (plugin '${plugins.get(target)?.def.id}') has no output port '${ref.port}'${at}`, {
      hint: didYouMean(ref.port, outputs) ?? (outputs.length ? `expected one of: ${outputs.join(', ')}` : 'this plugin has no outputs'), ...texts,
    });
    return [];
  }
  const list = instances.get(target) ?? [];
  if (ref.prev) {
    // `prev` reaches here only past iteration 0 of a repeated stage (iteration 0 drops the port).
    const previous = list[inst.iteration! - 1];
    if (!previous) throw new Error(`internal: ${inst.id} has no previous iteration`);
    return [{ kind: 'node', node: previous.id, port: ref.port }];
  }
  if (ref.selector !== undefined) {
    const isRepeat = list[0]?.iteration !== undefined;
    const isForeach = list[0]?.itemKey !== undefined;
    let found: Instance | undefined;
    if (isRepeat) {
      const n = typeof ref.selector === 'number' ? ref.selector : Number(ref.selector);
      found = Number.isInteger(n) ? list[n < 0 ? list.length + n : n] : undefined;
      if (!found) {
        problems.at(path, `stage '${target}' has no iteration '${String(ref.selector)}' (it repeats ${list.length} times)${at}`, { hint: `expected an iteration from 0 to ${list.length - 1}, or -1 for the last`, ...texts });
        return [];
      }
    } else if (isForeach) {
      found = itemIndex(list).get(String(ref.selector));
      if (!found) {
        const keys = list.map((i) => i.itemKey!);
        problems.at(path, `stage '${target}' has no foreach item '${String(ref.selector)}'${at}`, { hint: didYouMean(String(ref.selector), keys) ?? `expected one of: ${keys.join(', ')}`, ...texts });
        return [];
      }
    } else {
      problems.at(path, `stage '${target}' has no instances to select from: it has neither \`foreach\` nor \`repeat\`${at}`, { hint: `expected \${stages.${target}.outputs.${ref.port}}`, ...texts });
      return [];
    }
    return [{ kind: 'node', node: found.id, port: ref.port }];
  }
  const last = list.at(-1);
  if (last && (list.length === 1 || list[0]?.iteration !== undefined)) return [{ kind: 'node', node: last.id, port: ref.port }];
  return list.map((i) => ({ kind: 'node', node: i.id, port: ref.port }));
}
