// Reads a recipe file and everything it includes or extends into one plain document plus a source map.
import { readFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import type { CST, Document, YAMLError } from 'yaml';
import { yamlLib } from '../util/yaml-lib.js';
import { RecipeError, type Diagnostic, type SourceLocation } from './diagnostic.js';
import { formatKeyPath, SourceMap, type KeyPath } from './source-map.js';
import { readBlockYaml, lineLocator } from './yaml-block.js';
import { documentToPlain } from './yaml-plain.js';
import { decodeText, duplicateDirective, MAX_NESTING, normalizeLineEnds, splitLines, structureProblem, type TextProblem } from './yaml-text.js';

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
  const { value, sources } = loadWithBases(abs, [], [], files, dirname(abs));
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    const at = sources.get([])?.value ?? { file: abs, line: 1, col: 1 };
    throw new RecipeError({ message: `expected a recipe: a mapping with a \`stages\` key, got ${value === null ? 'an empty document' : Array.isArray(value) ? 'a list' : `${typeof value} ${JSON.stringify(value)}`}`, location: at });
  }
  return { file: abs, doc: value as { [key: string]: Plain }, sources, files };
}

interface Located { value: Plain; sources: SourceMap }

function loadWithBases(file: string, chain: string[], includedFrom: SourceLocation[], files: string[], rootDir: string, written?: string): Located {
  const shown = (f: string) => relative(rootDir, f) || f;
  if (chain.includes(file)) {
    const cycle = [...chain.slice(chain.indexOf(file)), file].map(shown).join(' → ');
    throw new RecipeError({ message: `include cycle: ${cycle}`, location: includedFrom[0] ?? { file, line: 1, col: 1 }, includedFrom: includedFrom.slice(1), hint: 'expected each file to be included at most once along a chain of include/extends' });
  }
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'file not found' : code === 'EISDIR' ? 'it is a folder, expected a YAML file' : (err as Error).message;
    const what = includedFrom.length ? `included file '${written ?? shown(file)}'` : 'the recipe';
    throw new RecipeError({
      message: `cannot read ${what}: ${reason}`,
      // The root recipe has no including line: point at the file itself.
      location: includedFrom[0] ?? { file, line: 1, col: 1 },
      includedFrom: includedFrom.slice(1),
      notes: includedFrom.length ? [`looked for ${file} (paths are relative to the including file)`] : undefined,
    });
  }
  files.push(file);
  const decoded = decodeText(bytes);
  if ('problem' in decoded) throw new RecipeError(textDiagnostic(decoded.problem, new TextDecoder().decode(bytes), file, includedFrom, true));
  const own = parseYaml(decoded.text, file, includedFrom);
  const nextChain = [...chain, file];
  if (includedFrom.length) {
    // A fragment or base is merged key by key into the recipe: only a mapping (or nothing) can be.
    if (own.value === null) return { value: {}, sources: own.sources };
    if (typeof own.value !== 'object' || Array.isArray(own.value)) {
      const got = Array.isArray(own.value) ? 'a list' : `${typeof own.value} ${JSON.stringify(own.value)}`;
      const via = includedFrom[0]!.via === 'extends' ? 'base recipe' : 'included fragment';
      throw new RecipeError({
        message: `expected the ${via} '${written ?? shown(file)}' to be a mapping of recipe keys, got ${got}`,
        location: own.sources.get([])?.value ?? { file, line: 1, col: 1 }, includedFrom,
        hint: 'expected top-level keys such as vars:, stages:, report: (a fragment is merged key by key into the file that includes it)',
      });
    }
  }
  if (own.value === null || typeof own.value !== 'object' || Array.isArray(own.value)) return own;
  const doc = own.value as Record<string, Plain>;

  // Bases in order: extends first (the parent), then includes; the file itself wins over all of them.
  const bases: Located[] = [];
  for (const ref of baseRefs(doc, own.sources, file, includedFrom)) {
    const at: SourceLocation = { ...(own.sources.get(ref.path)?.value ?? { file, line: 1, col: 1 }), via: ref.path[0] === 'extends' ? 'extends' : 'include' };
    bases.push(loadWithBases(resolve(dirname(file), ref.target), nextChain, [at, ...includedFrom], files, rootDir, ref.target));
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
    throw new RecipeError({ message, location: sources.get(path)?.value ?? { file, line: 1, col: 1 }, keyPath: formatKeyPath(path), includedFrom });
  };
  const got = (v: Plain) => (v === null ? 'null' : Array.isArray(v) ? 'a list' : typeof v === 'object' ? 'a mapping' : `${typeof v} ${JSON.stringify(v)}`);
  if ('extends' in doc) {
    if (typeof doc.extends !== 'string' || doc.extends === '') fail(['extends'], `expected \`extends\` to be the path of a base recipe, got ${got(doc.extends)}`);
    refs.push({ target: doc.extends as string, path: ['extends'] });
  }
  if ('include' in doc) {
    const inc = doc.include;
    if (typeof inc === 'string' && inc !== '') refs.push({ target: inc, path: ['include'] });
    else if (Array.isArray(inc)) {
      inc.forEach((item, i) => {
        if (typeof item !== 'string' || item === '') fail(['include', i], `expected the path of a recipe fragment, got ${got(item)}`);
        refs.push({ target: item as string, path: ['include', i] });
      });
    } else fail(['include'], `expected \`include\` to be a file path or a list of file paths, got ${got(inc)}`);
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
      const child = key in o ? (key in b ? mergeAt(base, over, [...path, key], out)
        : copyFrom(over, [...path, key], out)) : copyFrom(base, [...path, key], out);
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
export function parseYaml(rawText: string, file: string, includedFrom: SourceLocation[] = []): Located {
  const text = normalizeLineEnds(rawText);
  // Most recipes are plain block YAML: read without the library when the text is in that subset.
  return readBlockYaml(text, lineLocator(text, file), includedFrom) ?? parseYamlWithLibrary(text, file, includedFrom);
}

/** parseYaml by the yaml library alone: any YAML, and every syntax error said in the user's terms. */
export function parseYamlWithLibrary(rawText: string, file: string, includedFrom: SourceLocation[] = []): Located {
  const text = normalizeLineEnds(rawText);
  const { LineCounter, Parser } = yamlLib();
  const lineCounter = new LineCounter();
  const locate = (offset: number, length?: number): SourceLocation => {
    const { line, col } = lineCounter.linePos(offset);
    return { file, line, col, length };
  };
  // Parsed once into tokens: checked for structure, then composed into a document.
  const tokens = [...new Parser(lineCounter.addNewLine).parse(text)];
  const textProblem = duplicateDirective(text) ?? structureProblem(tokens);
  // Too deep is refused before parsing: everything after it would recurse over the nesting.
  if (textProblem?.kind === 'too-deep' || textProblem?.kind === 'duplicate-directive') {
    throw new RecipeError(textDiagnostic(textProblem, text, file, includedFrom));
  }
  // Keys are checked for duplicates below, in linear time (the library compares each key with all before it).
  const doc = composeOne(tokens, text.length);
  const duplicate = doc.errors.length ? undefined : duplicateKey(doc);
  if (duplicate) doc.errors.push(duplicate);
  const [first] = doc.errors;
  if (first) {
    // An unclosed quote explains an unclosed bracket around it; otherwise the bracket is where to look.
    if (textProblem?.kind === 'unclosed' && !/quote/.test(first.message) && textProblem.offset <= first.pos[0]) throw new RecipeError(textDiagnostic(textProblem, text, file, includedFrom, false, doc.errors.length));
    throw new RecipeError(syntaxDiagnostic(doc.errors, text, locate, includedFrom));
  }
  const sources = new SourceMap();
  const value = documentToPlain(doc, sources, locate, includedFrom);
  return { value, sources };
}

/** The one document of the tokens; a second one is an error (as the library's parseDocument says it). */
function composeOne(tokens: CST.Token[], length: number): Document {
  const { Composer, YAMLParseError } = yamlLib();
  let doc: Document | undefined;
  for (const next of new Composer({ prettyErrors: false, uniqueKeys: false, strict: true }).compose(tokens, true, length)) {
    if (!doc) doc = next;
    else {
      doc.errors.push(new YAMLParseError([next.range[0], next.range[1]], 'MULTIPLE_DOCS', 'a second document'));
      break;
    }
  }
  return doc!;
}

/** The first key that repeats an earlier key of the same mapping, as the library would report it. */
function duplicateKey(doc: Document): YAMLError | undefined {
  const { isMap, isScalar, visit, YAMLParseError } = yamlLib();
  let found: YAMLError | undefined;
  visit(doc, {
    Map(_, map) {
      if (!isMap(map)) return undefined;
      const seen = new Set<unknown>();
      for (const pair of map.items) {
        if (!isScalar(pair.key)) continue;
        const { value, range } = pair.key;
        // 1 and "1" are different keys, as in the library's check.
        const id = typeof value === 'string' ? `s:${value}` : value;
        if (seen.has(id) && range) {
          found = new YAMLParseError([range[0], range[1]], 'DUPLICATE_KEY', 'Map keys must be unique');
          return visit.BREAK;
        }
        seen.add(id);
      }
      return undefined;
    },
  });
  return found;
}

/** A problem found in the raw text, located by counting lines up to its offset. */
function textDiagnostic(p: TextProblem, text: string, file: string, includedFrom: SourceLocation[], whole = false, errorCount = 0): Diagnostic {
  const before = text.slice(0, p.offset);
  const lines = splitLines(before);
  const location: SourceLocation = { file, line: lines.length, col: lines.at(-1)!.length + 1, length: 1 }; // split gives at least one line
  const what = includedFrom.length ? 'this included file' : 'the recipe';
  switch (p.kind) {
    case 'binary':
      // Not echoed: a binary file has no line worth showing.
      return { message: `${what} is not a YAML text file: ${p.reason}`, location: { ...location, line: 1, col: 1 }, includedFrom, hint: whole ? 'expected a UTF-8 YAML file (is this the right path?)' : undefined, noSource: true };
    case 'duplicate-directive':
      return { message: `YAML syntax error: a second %YAML directive (the first is on line ${splitLines(text.slice(0, p.first)).length})`, location: { ...location, length: 5 }, includedFrom, hint: 'expected at most one %YAML line at the top of the file' };
    case 'too-deep':
      return { message: `YAML nesting is deeper than ${MAX_NESTING} levels here`, location, includedFrom, hint: `expected at most ${MAX_NESTING} levels of nested mappings and lists` };
    case 'unclosed': {
      const close = p.bracket === '[' ? ']' : '}';
      return {
        message: `YAML syntax error: this '${p.bracket}' is never closed`, location, includedFrom,
        hint: `expected a '${close}' to end the ${p.bracket === '[' ? 'list' : 'mapping'} that starts here (inside [ ] and { } line breaks do not end it)`,
        notes: errorCount > 1 ? [`${errorCount - 1} more syntax error(s) follow from this one`] : undefined,
      };
    }
  }
}

/**
 * One diagnostic for a YAML syntax error: the first error (later ones are mostly echoes of it),
 * moved to where the user has to look and said in the user's terms.
 */
function syntaxDiagnostic(errors: YAMLError[], text: string,
  locate: (offset: number, length?: number) => SourceLocation, includedFrom: SourceLocation[]): Diagnostic {
  const e = errors[0]!; // called with the errors of a document that has some
  const [start, end] = e.pos;
  const lines = splitLines(text);
  const notes = errors.length > 1 ? [`${errors.length - 1} more syntax error(s) follow from this one`] : undefined;
  const base = { includedFrom, notes };
  let location = locate(start, Math.max(1, end - start));
  const lineText = lines[location.line - 1] ?? '';

  // An unquoted ${…} inside { } or [ ]: YAML reads '{' of '${' as the start of a flow mapping.
  const dollar = lineText.lastIndexOf('${', location.col - 1);
  if (dollar >= 0 && inFlowUnquoted(lineText.slice(0, dollar))) {
    const endOfRef = lineText.indexOf('}', dollar);
    return {
      ...base,
      message: 'YAML syntax error: a ${…} inside { } or [ ] must be quoted',
      location: { ...location, col: dollar + 1, length: endOfRef > dollar ? endOfRef - dollar + 1 : 2 },
      hint: `expected a quoted string, e.g. "${lineText.slice(dollar, endOfRef > dollar ? endOfRef + 1 : dollar + 2)}", or one key per line (block style)`,
    };
  }
  switch (e.code) {
    case 'DUPLICATE_KEY': {
      const first = firstDuplicate(text, start);
      const key = first?.key ?? lineText.slice(location.col - 1).split(':')[0]!.trim();
      return {
        ...base,
        message: `YAML syntax error: duplicate key '${key}'${first ? ` (first defined at line ${first.line})` : ''}`,
        location: { ...location, length: Math.max(1, key.length) },
        hint: 'expected each key once in a mapping: remove or rename one of them',
      };
    }
    case 'MISSING_CHAR': {
      const quote = /closing (["'])quote/.exec(e.message)?.[1];
      if (quote) {
        const opening = openingQuote(text, start, quote);
        if (opening !== undefined) location = locate(opening, 1);
        return { ...base, message: `YAML syntax error: missing closing ${quote} quote: this string never ends`, location, hint: `expected a ${quote} at the end of the string (inside it, write ${quote === '"' ? '\\"' : "''"} for a literal ${quote})` };
      }
      break;
    }
    case 'MULTIPLE_DOCS': {
      const second = /^---/m.exec(text.slice(start));
      const at = second ? locate(start + second.index, 3) : location;
      return {
        ...base, notes: undefined,
        message: `a recipe file holds one YAML document, but a second one starts on line ${at.line}`,
        location: at,
        hint: "expected one document: remove this '---' and what follows, or move it to its own file (include and extends share parts between recipes)",
      };
    }
    case 'TAB_AS_INDENT':
      return { ...base, message: 'YAML syntax error: a tab is used for indentation', location, hint: 'expected spaces: YAML does not allow tabs in indentation' };
    case 'BLOCK_AS_IMPLICIT_KEY':
    case 'MULTILINE_IMPLICIT_KEY': {
      // YAML joined a deeper-indented line to the value above it; the line to fix is that deeper one.
      const multi = errors.find((x) => x.code === 'MULTILINE_IMPLICIT_KEY');
      if (multi) {
        const lastLine = locate(multi.pos[1]).line;
        const bad = lines[lastLine - 1] ?? '';
        const col = bad.length - bad.trimStart().length + 1;
        const above = lines.slice(0, lastLine - 1).reverse().find((l) => l.trim() !== '' && !l.trim().startsWith('#')) ?? '';
        const aboveCol = above.length - above.trimStart().length + 1;
        return {
          ...base,
          message: `YAML syntax error: bad indentation: line ${lastLine} starts at column ${col}, deeper than the key above it (column ${aboveCol})`,
          location: { file: location.file, line: lastLine, col, length: Math.max(1, bad.trim().length) },
          hint: 'expected keys of one mapping to start in the same column (a nested mapping goes below a key that has no value on its line)',
        };
      }
      return { ...base, message: 'YAML syntax error: a mapping cannot start on the same line as its key', location, hint: "expected the nested mapping on the next lines, indented; or quote the value if it contains ': '" };
    }
    case 'BAD_INDENT':
      return { ...base, message: `YAML syntax error: bad indentation: ${lowerFirst(yamlMessage(e.message))}`, location, hint: 'expected keys of one mapping (and items of one list) to start in the same column' };
    default:
      break;
  }
  return { ...base, message: `YAML syntax error: ${lowerFirst(yamlMessage(e.message))}`, location };
}

/** Whether the end of this line prefix is inside { } or [ ] and outside quotes. */
function inFlowUnquoted(prefix: string): boolean {
  let depth = 0;
  let quote: string | undefined;
  for (let i = 0; i < prefix.length; i++) {
    const c = prefix[i];
    if (quote) {
      if (c === quote && !(quote === '"' && prefix[i - 1] === '\\')) quote = undefined;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '#' && (i === 0 || prefix[i - 1] === ' ')) return false;
    else if (c === '{' || c === '[') depth++;
    else if ((c === '}' || c === ']') && depth > 0) depth--;
  }
  return depth > 0 && !quote;
}

function lowerFirst(text: string): string {
  return text.charAt(0).toLowerCase() + text.slice(1);
}

/** The offset of the quote that opens the unterminated string ending at `end`. */
function openingQuote(text: string, end: number, quote: string): number | undefined {
  let i = text.lastIndexOf(quote, Math.min(end, text.length) - 1);
  // In single-quoted strings '' is an escaped quote, and so is \" in double-quoted ones.
  while (i > 0 && (quote === "'" ? text[i - 1] === "'" : text[i - 1] === '\\')) i = text.lastIndexOf(quote, i - (quote === "'" ? 2 : 1));
  return i >= 0 ? i : undefined;
}

/** The earlier occurrence of the duplicate key that starts at `offset`. */
function firstDuplicate(text: string, offset: number): { key: string; line: number } | undefined {
  const { isScalar, LineCounter, parseDocument, visit } = yamlLib();
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: false });
  let found: { key: string; line: number } | undefined;
  visit(doc, {
    Map(_, map) {
      const dup = map.items.find((p) => isScalar(p.key) && p.key.range?.[0] === offset);
      if (!dup || !isScalar(dup.key)) return undefined;
      const name = String(dup.key.value);
      const first = map.items.find((p) => isScalar(p.key) && String(p.key.value) === name);
      if (first && isScalar(first.key) && first.key.range) found = { key: name, line: lineCounter.linePos(first.key.range[0]).line };
      return visit.BREAK;
    },
  });
  return found;
}

function yamlMessage(message: string): string {
  // The yaml package appends "at line X, column Y" and a code frame; we print our own.
  return message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
}
