// A parsed YAML document as plain values plus the location of every value and key.
// Aliases are expanded here (bounded, so nested aliases cannot blow up), and merge keys (`<<: *base`)
// follow YAML 1.1: the keys of the merged mappings are added unless the mapping sets them itself.
import type { Document, Node as YamlNode, Pair, YAMLMap } from 'yaml';
import { yamlLib } from '../util/yaml-lib.js';
import { RecipeError, type SourceLocation } from './diagnostic.js';
import type { Plain } from './load.js';
import type { SourceMap } from './source-map.js';

/** How many values aliases may expand to in one file, in all: far above reuse, far below "billion laughs". */
export const MAX_ALIAS_EXPANSION = 10_000;

type Locate = (offset: number, length?: number) => SourceLocation;

interface Expansion {
  /** The alias written outside any other alias that is being expanded now (where an over-limit error points). */
  outer?: YamlNode;
  count: number;
  /** Anchored nodes being expanded, to catch an alias inside the node it names. */
  active: Set<YamlNode>;
}

export function documentToPlain(doc: Document, sources: SourceMap, locate: Locate, includedFrom: SourceLocation[]): Plain {
  const { isAlias, isMap, isScalar, isSeq } = yamlLib();
  const targets = aliasTargets(doc);
  const at = (node: YamlNode): SourceLocation => {
    const [start, end] = node.range ?? [0, 1];
    return locate(start, Math.max(1, end - start));
  };
  const fail = (node: YamlNode, message: string, hint?: string): never => {
    throw new RecipeError({ message, location: at(node), includedFrom, hint });
  };
  const expansion: Expansion = { count: 0, active: new Set() };

  /** The anchored node an alias names, checked: defined before it, not containing it. */
  const resolveAlias = (alias: YamlNode & { source: string }): YamlNode => {
    const target = targets.resolved.get(alias);
    if (!target) {
      const later = targets.anchors.get(alias.source)?.find((n) => (n.range?.[0] ?? 0) > (alias.range?.[0] ?? 0));
      if (later) fail(alias, `alias '*${alias.source}' is used before its anchor '&${alias.source}' (defined at line ${at(later).line})`, 'expected the anchor earlier in the file than every alias of it: move the anchored value up');
      fail(alias, `alias '*${alias.source}' refers to no anchor: '&${alias.source}' is not defined in this file`, 'expected an anchor such as `base: &' + alias.source + ' {...}` earlier in the same file (anchors do not cross include/extends)');
    }
    if (expansion.active.has(target!)) fail(alias, `alias '*${alias.source}' is inside the value it refers to, so it would never end`, 'expected the alias outside its anchored value');
    return target!;
  };

  /** Runs fn counting the values it makes against the alias written outermost. */
  const underAlias = <T>(alias: YamlNode | undefined, fn: () => T): T => {
    if (alias === undefined || expansion.outer !== undefined) return fn();
    expansion.outer = alias;
    try {
      return fn();
    } finally {
      expansion.outer = undefined;
    }
  };

  const expandAlias = <T>(alias: YamlNode & { source: string }, fn: (target: YamlNode) => T): T => {
    const target = resolveAlias(alias);
    expansion.active.add(target);
    try {
      return underAlias(alias, () => fn(target));
    } finally {
      expansion.active.delete(target);
    }
  };

  const count = () => {
    if (expansion.outer === undefined) return;
    if (++expansion.count > MAX_ALIAS_EXPANSION) {
      const alias = expansion.outer as YamlNode & { source: string };
      fail(alias, `aliases expand to more than ${MAX_ALIAS_EXPANSION} values (starting at '*${alias.source}'): aliases nested inside anchored values multiply`,
        'expected anchors reused a few times; for many copies of a value use a var (${vars.<name>}) instead');
    }
  };

  /** The key/value pairs of a mapping with its merge keys applied, in order. */
  type Entry = { key: YamlNode | null; value: YamlNode | null; name: string; viaAlias?: YamlNode };
  const mapEntries = (map: YAMLMap): Entry[] => {
    const pairs = map.items as Pair<YamlNode | null, YamlNode | null>[];
    const nameOf = (key: YamlNode | null) => (isScalar(key) ? String(key.value) : String(key));
    const own = new Set(pairs.filter((p) => !isMergeKey(p.key)).map((p) => nameOf(p.key)));
    const out: Entry[] = [];
    const taken = new Set<string>();
    for (const pair of pairs) {
      if (!isMergeKey(pair.key)) {
        out.push({ key: pair.key, value: pair.value, name: nameOf(pair.key) });
        continue;
      }
      const merged = pair.value;
      const sourcesOfMerge = isSeq(merged) ? (merged.items as YamlNode[]) : merged ? [merged] : [];
      if (!sourcesOfMerge.length) fail(pair.key!, 'a merge key `<<` needs a value', 'expected `<<: *anchor` or `<<: [*a, *b]`, the anchors naming mappings');
      // In a list of merged mappings, the earlier ones win.
      for (const item of sourcesOfMerge) {
        const entries = isAlias(item)
          ? expandAlias(item as YamlNode & { source: string }, (target) => (isMap(target) ? mapEntries(target) : undefined))
          : isMap(item) ? mapEntries(item) : undefined;
        if (!entries) fail(item, 'a merge key `<<` takes mappings only', 'expected `<<: *anchor` or `<<: [*a, *b]`, each anchor naming a mapping');
        for (const e of entries!) {
          if (own.has(e.name) || taken.has(e.name)) continue;
          taken.add(e.name);
          out.push(isAlias(item) ? { ...e, viaAlias: e.viaAlias ?? item } : e);
        }
      }
    }
    return out;
  };

  // Recursion is bounded: structureProblem refused deep nesting before parsing.
  // Each value's entry is written once, with the location of its key: aliases may expand to many values.
  const toPlain = (node: YamlNode | null, path: (string | number)[], key?: SourceLocation): Plain => {
    if (node === null || node === undefined) {
      if (key) sources.set(path, { value: key, key, includedFrom });
      return null;
    }
    count();
    if (isAlias(node)) return expandAlias(node as YamlNode & { source: string }, (target) => toPlain(target, path, key));
    const range = node.range;
    if (range) sources.set(path, { value: locate(range[0], Math.max(1, range[1] - range[0])), key, includedFrom });
    else if (key) sources.set(path, { value: key, key, includedFrom });
    if (isScalar(node)) return node.value as Plain;
    if (isSeq(node)) return node.items.map((item, i) => toPlain(item as YamlNode, [...path, i]));
    if (isMap(node)) {
      const result: { [key: string]: Plain } = {};
      for (const { key: keyNode, value, name, viaAlias } of mapEntries(node)) {
        const keyRange = keyNode?.range;
        const keyLoc = keyRange ? locate(keyRange[0], Math.max(1, keyRange[1] - keyRange[0])) : undefined;
        result[name] = underAlias(viaAlias, () => toPlain(value, [...path, name], keyLoc));
      }
      return result;
    }
    return null;
  };
  return toPlain(doc.contents as YamlNode | null, []);
}

function isMergeKey(key: unknown): boolean {
  return yamlLib().isScalar(key) && key.value === '<<' && (key.type === 'PLAIN' || key.type === undefined);
}

/** Each alias → the last node before it with that anchor (YAML's rule), found in one pass; and anchors by name. */
function aliasTargets(doc: Document): { resolved: Map<YamlNode, YamlNode>; anchors: Map<string, YamlNode[]> } {
  const { isAlias, visit } = yamlLib();
  const resolved = new Map<YamlNode, YamlNode>();
  const anchors = new Map<string, YamlNode[]>();
  const latest = new Map<string, YamlNode>();
  visit(doc, {
    Node(_key, node) {
      if (isAlias(node)) {
        const target = latest.get(node.source);
        if (target) resolved.set(node, target);
      } else if ((node as { anchor?: string }).anchor) {
        const name = (node as { anchor: string }).anchor;
        latest.set(name, node);
        anchors.set(name, [...(anchors.get(name) ?? []), node]);
      }
    },
  });
  return { resolved, anchors };
}
