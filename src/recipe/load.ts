// Reads a recipe file and everything it includes or extends into one plain document plus a source map.
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { isAlias, isMap, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node as YamlNode } from 'yaml';
import { RecipeError, type SourceLocation } from './diagnostic.js';
import { SourceMap, type KeyPath } from './source-map.js';

export type Plain = null | boolean | number | string | Plain[] | { [key: string]: Plain };

export interface LoadedRecipe {
  file: string;
  doc: { [key: string]: Plain };
  sources: SourceMap;
  /** Every file read, the recipe first. */
  files: string[];
}

/** Loads a recipe with its includes (fragments merged first, in order) and extends (a base the file overrides). */
export function loadRecipe(file: string): LoadedRecipe {
  const abs = resolve(file);
  const files: string[] = [];
  const { value, sources } = loadWithBases(abs, [], [], files);
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new RecipeError({ message: 'a recipe must be a mapping with a `stages` key', location: { file: abs, line: 1, col: 1 } });
  }
  return { file: abs, doc: value as { [key: string]: Plain }, sources, files };
}

interface Located { value: Plain; sources: SourceMap }

function loadWithBases(file: string, chain: string[], includedFrom: SourceLocation[], files: string[]): Located {
  if (chain.includes(file)) {
    const cycle = [...chain.slice(chain.indexOf(file)), file].join(' → ');
    throw new RecipeError({ message: `include cycle: ${cycle}`, location: includedFrom[0], includedFrom: includedFrom.slice(1) });
  }
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : (err as Error).message;
    throw new RecipeError({ message: `cannot read ${includedFrom.length ? 'included ' : ''}recipe '${file}': ${reason}`, location: includedFrom[0], includedFrom: includedFrom.slice(1) });
  }
  files.push(file);
  const own = parseYaml(text, file, includedFrom);
  const nextChain = [...chain, file];
  if (own.value === null || typeof own.value !== 'object' || Array.isArray(own.value)) return own;
  const doc = own.value as Record<string, Plain>;

  // Bases in order: extends first (the parent), then includes; the file itself wins over all of them.
  const bases: Located[] = [];
  for (const ref of baseRefs(doc, own.sources, file, includedFrom)) {
    const at = own.sources.get(ref.path)?.value ?? { file, line: 1, col: 1 };
    bases.push(loadWithBases(resolve(dirname(file), ref.target), nextChain, [at, ...includedFrom], files));
  }
  delete doc.include;
  delete doc.extends;
  own.sources.deleteSubtree(['include']);
  own.sources.deleteSubtree(['extends']);
  let merged: Located | undefined;
  for (const base of bases) merged = merged ? mergeLocated(merged, base) : base;
  return merged ? mergeLocated(merged, own) : own;
}

function baseRefs(doc: Record<string, Plain>, sources: SourceMap, file: string, includedFrom: SourceLocation[]): { target: string; path: KeyPath }[] {
  const refs: { target: string; path: KeyPath }[] = [];
  const fail = (path: KeyPath, message: string): never => {
    throw new RecipeError({ message, location: sources.get(path)?.value ?? { file, line: 1, col: 1 }, keyPath: path.join('.'), includedFrom });
  };
  if ('extends' in doc) {
    if (typeof doc.extends !== 'string') fail(['extends'], 'expected `extends` to be a file path (string)');
    refs.push({ target: doc.extends as string, path: ['extends'] });
  }
  if ('include' in doc) {
    const inc = doc.include;
    if (typeof inc === 'string') refs.push({ target: inc, path: ['include'] });
    else if (Array.isArray(inc)) {
      inc.forEach((item, i) => {
        if (typeof item !== 'string') fail(['include', i], 'expected an included file path (string)');
        refs.push({ target: item as string, path: ['include', i] });
      });
    } else fail(['include'], 'expected `include` to be a file path or a list of file paths');
  }
  return refs;
}

/** Deep merge: mappings merge key by key, anything else in `over` replaces; a null in `over` deletes the key. */
export function mergeLocated(base: Located, over: Located): Located {
  const sources = new SourceMap();
  const value = mergeAt(base, over, [], sources);
  return { value: value === undefined ? null : value, sources };
}

function isObject(v: Plain | undefined): v is { [key: string]: Plain } {
  return v !== null && v !== undefined && typeof v === 'object' && !Array.isArray(v);
}

function mergeAt(base: Located, over: Located, path: (string | number)[], out: SourceMap): Plain | undefined {
  const b = valueAt(base.value, path);
  const o = valueAt(over.value, path);
  if (isObject(b) && isObject(o)) {
    const entry = over.sources.get(path) ?? base.sources.get(path);
    if (entry) out.set(path, entry);
    const result: { [key: string]: Plain } = {};
    for (const key of new Set([...Object.keys(b), ...Object.keys(o)])) {
      if (key in o && o[key] === null && key in b) continue; // explicit null removes an inherited key
      const child = key in o ? (key in b ? mergeAt(base, over, [...path, key], out) : copyFrom(over, [...path, key], out)) : copyFrom(base, [...path, key], out);
      if (child !== undefined) result[key] = child;
    }
    return result;
  }
  return copyFrom(o === undefined ? base : over, path, out);
}

function copyFrom(src: Located, path: (string | number)[], out: SourceMap): Plain | undefined {
  for (const [id, entry] of src.sources.under(path)) out.setById(id, entry);
  return valueAt(src.value, path);
}

function valueAt(value: Plain, path: readonly (string | number)[]): Plain | undefined {
  let cur: Plain | undefined = value;
  for (const seg of path) {
    if (cur === null || cur === undefined || typeof cur !== 'object') return undefined;
    cur = Array.isArray(cur) ? cur[seg as number] : (cur as Record<string, Plain>)[seg as string];
  }
  return cur;
}

/** Parses YAML text, keeping the location of every value and key. */
export function parseYaml(text: string, file: string, includedFrom: SourceLocation[] = []): Located {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true, strict: true });
  const locate = (offset: number, length?: number): SourceLocation => {
    const { line, col } = lineCounter.linePos(offset);
    return { file, line, col, length };
  };
  if (doc.errors.length) {
    // Later syntax errors are mostly echoes of the first one: report that one well.
    const e = doc.errors[0];
    const [start, end] = e.pos;
    const location = locate(start, Math.max(1, end - start));
    const message = e.code === 'DUPLICATE_KEY' ? 'duplicate key (each key may appear once in a mapping)' : yamlMessage(e.message);
    const line = text.split(/\r?\n/)[location.line - 1] ?? '';
    const hint = /[{[][^}\]]*\$\{/.test(line) || /\$\{/.test(line)
      ? 'inside { } or [ ] a ${...} must be quoted: "${vars.x}" (or use one key per line)'
      : undefined;
    const notes = doc.errors.length > 1 ? [`${doc.errors.length - 1} more syntax error(s) follow from this one`] : undefined;
    throw new RecipeError({ message: `YAML syntax error: ${message}`, location, includedFrom, hint, notes });
  }
  const sources = new SourceMap();
  const value = toPlain(doc, doc.contents as YamlNode | null, [], sources, locate, includedFrom);
  return { value, sources };
}

function yamlMessage(message: string): string {
  // The yaml package appends "at line X, column Y" and a code frame; we print our own.
  return message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
}

function toPlain(doc: Document, node: YamlNode | null, path: (string | number)[], sources: SourceMap,
  locate: (offset: number, length?: number) => SourceLocation, includedFrom: SourceLocation[]): Plain {
  if (node === null || node === undefined) return null;
  const range = node.range;
  if (range) {
    const existing = sources.get(path);
    sources.set(path, { ...existing, value: locate(range[0], Math.max(1, range[1] - range[0])), includedFrom });
  }
  if (isAlias(node)) return toPlain(doc, node.resolve(doc) as YamlNode, path, sources, locate, includedFrom);
  if (isScalar(node)) return node.value as Plain;
  if (isSeq(node)) return node.items.map((item, i) => toPlain(doc, item as YamlNode, [...path, i], sources, locate, includedFrom));
  if (isMap(node)) {
    const result: { [key: string]: Plain } = {};
    for (const pair of node.items) {
      const keyNode = pair.key as YamlNode | null;
      const key = isScalar(keyNode) ? String(keyNode.value) : String(keyNode);
      const childPath = [...path, key];
      if (key === '<<') continue; // merge keys are not part of the recipe language
      result[key] = toPlain(doc, pair.value as YamlNode | null, childPath, sources, locate, includedFrom);
      const keyRange = keyNode?.range;
      const entry = sources.get(childPath);
      if (keyRange) {
        const keyLoc = locate(keyRange[0], Math.max(1, keyRange[1] - keyRange[0]));
        sources.set(childPath, { value: entry?.value ?? keyLoc, key: keyLoc, includedFrom });
      }
    }
    return result;
  }
  return null;
}
