// A reader for the block-style YAML most recipes are written in: mappings and lists by indentation,
// plain and simply quoted one-line scalars, one-line flow lists. It gives exactly what the yaml library
// gives (values, and every location the source map keeps) or nothing: anything else (anchors, tags,
// multi-line or escaped scalars, flow mappings, empty values, comments the library would attach to a
// value, and every syntax error) is left to the library. Loading and running the library costs most of
// a large recipe's first compile; this reads the same text in one pass over its lines.
import type { SourceLocation } from './diagnostic.js';
import type { Plain } from './load.js';
import { SourceMap, type KeyPath } from './source-map.js';

/** Thrown inside the reader when the text leaves the subset: the caller then uses the library. */
class OutsideSubset extends Error {}

const outside = (): never => {
  throw new OutsideSubset();
};

interface Line {
  /** Offset of the line's first character. */
  start: number;
  /** Offset of its first character that is not a space. */
  content: number;
  /** Offset of its '\n', or the end of the text. */
  end: number;
  /** Offset of the next line (after the '\n'), or the end of the text. */
  next: number;
}

// Only what the subset can hold: no tabs, CR, byte-order marks, control or line-separator characters.
const UNSUPPORTED_CHAR = /[^\n\x20-\x7e\u00a0-\u2027\u202a-\ufefe\uff00-\ufffd]/;
const KEY = /^[A-Za-z_][\w$./-]*$/;
// YAML 1.2 core schema: a plain scalar matching one of these is not a string.
const CORE_NULL = /^(?:~|[Nn]ull|NULL)?$/;
const CORE_BOOL = /^(?:[Tt]rue|TRUE|[Ff]alse|FALSE)$/;
const CORE_INT = /^[-+]?[0-9]+$/;
const CORE_OCT_HEX = /^0o[0-7]+$|^0x[0-9a-fA-F]+$/;
const CORE_FLOAT = /^[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*)$|^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)[eE][-+]?[0-9]+$/;
const CORE_SPECIAL_FLOAT = /^(?:[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN)$/;
// The spellings whose value is certain here; other typed spellings are left to the library.
const SIMPLE_INT = /^-?(?:0|[1-9][0-9]{0,14})$/;
const SIMPLE_FLOAT = /^-?(?:0|[1-9][0-9]{0,14})\.[0-9]{1,15}$/;
const MAX_KEY_LENGTH = 1000;
// In a flow list, what only the general loop reads: quotes, brackets, comments, ':' and anything but printable ASCII.
const FLOW_SPECIAL = /[^ -~]|["'[\]{}#:]/;
/** Deeper than this is left to the library (which refuses nesting over MAX_NESTING). */
const MAX_DEPTH = 50;

type Locate = (offset: number, length?: number) => SourceLocation;

/** The value and source map of a recipe text in the subset, or undefined when the library must read it. */
export function readBlockYaml(text: string, locate: Locate, includedFrom: SourceLocation[]): { value: Plain; sources: SourceMap } | undefined {
  if (UNSUPPORTED_CHAR.test(text)) return undefined;
  try {
    return new BlockReader(text, locate, includedFrom).read();
  } catch (err) {
    if (err instanceof OutsideSubset) return undefined;
    throw err;
  }
}

/** The value of a plain scalar as the core schema reads it, for the spellings this reader is sure of. */
function plainValue(s: string): Plain {
  if (s === 'null') return null;
  if (s === 'true') return true;
  if (s === 'false') return false;
  if (SIMPLE_INT.test(s) || SIMPLE_FLOAT.test(s)) return Number(s);
  if (CORE_NULL.test(s) || CORE_BOOL.test(s) || CORE_INT.test(s) || CORE_OCT_HEX.test(s) || CORE_FLOAT.test(s) || CORE_SPECIAL_FLOAT.test(s)) outside();
  return s;
}

/** Characters that cannot start a plain scalar in the subset (YAML indicators). */
function badPlainStart(text: string, at: number): boolean {
  const c = text[at]!;
  if ('[]{},#&*!|>\'"%@`?:'.includes(c)) return true;
  return c === '-' && (at + 1 >= text.length || text[at + 1] === ' ' || text[at + 1] === '\n');
}

class BlockReader {
  private readonly lines: Line[] = [];
  readonly sources = new SourceMap();

  constructor(private readonly text: string, private readonly locate: Locate, private readonly includedFrom: SourceLocation[]) {
    this.splitLines();
  }

  read(): { value: Plain; sources: SourceMap } {
    const first = this.lines[0] ?? outside();
    if (first.content !== first.start) outside();
    const { value, next } = this.map(0, first.content, [], undefined);
    if (next < this.lines.length) outside(); // a line left of the root mapping's column cannot be
    return { value, sources: this.sources };
  }

  /** Content lines only; comment lines must sit where the library keeps them out of every value's range. */
  private splitLines(): void {
    const { text } = this;
    const comments: number[] = [];
    let start = 0;
    while (start < text.length) {
      const nl = text.indexOf('\n', start);
      const end = nl < 0 ? text.length : nl;
      let content = start;
      while (content < end && text.charCodeAt(content) === 32) content++;
      if (content < end) {
        if (text[content] === '#') comments.push(content - start);
        else {
          this.checkComments(comments, content - start);
          // Directives and document markers are the library's.
          if (content === start && (text[start] === '%' || text.startsWith('---', start) || text.startsWith('...', start))) outside();
          this.lines.push({ start, content, end, next: nl < 0 ? end : nl + 1 });
        }
      }
      start = nl < 0 ? text.length : nl + 1;
    }
    this.checkComments(comments, 0);
  }

  /** A comment line deeper than the line after it may belong to the value before it (and widen its range). */
  private checkComments(indents: number[], nextIndent: number): void {
    for (const indent of indents) if (indent > nextIndent) outside();
    indents.length = 0;
  }

  private indentOf(i: number): number {
    const line = this.lines[i]!;
    return line.content - line.start;
  }

  /** Sets a node's entry where the library's walk would (parents before children), its range known later. */
  private reserve(path: KeyPath, key: SourceLocation | undefined): void {
    this.sources.set(path, { value: this.locate(0), key, includedFrom: this.includedFrom });
  }

  private place(path: KeyPath, key: SourceLocation | undefined, start: number, end: number): void {
    this.sources.set(path, { value: this.locate(start, Math.max(1, end - start)), key, includedFrom: this.includedFrom });
  }

  /** Where a key ends (its ':'), when the text at `at` is `key:` followed by a space or the line end. */
  private keyEnd(at: number, lineEnd: number): number | undefined {
    const colon = this.find(':', at, lineEnd);
    if (colon < 0) return undefined;
    if (colon + 1 < lineEnd && this.text[colon + 1] !== ' ') return undefined;
    // The library refuses a ':' more than 1024 characters after the key's start.
    if (colon - at > MAX_KEY_LENGTH) return undefined;
    return KEY.test(this.text.slice(at, colon)) ? colon : undefined;
  }

  /** A block mapping whose first key is at `at` on line i; later keys start lines at the same column. */
  private map(i: number, at: number, path: (string | number)[], key: SourceLocation | undefined): { value: Plain; next: number } {
    if (path.length > MAX_DEPTH) outside();
    this.reserve(path, key);
    const col = at - this.lines[i]!.start;
    const first = at;
    const result: { [key: string]: Plain } = {};
    const seen = new Set<string>();
    let end: number;
    for (;;) {
      const line = this.lines[i]!;
      const colon = this.keyEnd(at, line.end) ?? outside();
      const name = this.text.slice(at, colon);
      // Typed or repeated keys are the library's (it names a repeated key in its error).
      if (seen.has(name) || plainValue(name) !== name) outside();
      seen.add(name);
      const keyLoc = this.locate(at, colon - at);
      const childPath = [...path, name];
      let rest = colon + 1;
      while (rest < line.end && this.text.charCodeAt(rest) === 32) rest++;
      let next: number;
      if (rest === line.end || this.text[rest] === '#') {
        if (this.text[rest] === '#' && this.text[rest - 1] !== ' ') outside();
        const below = this.lines[i + 1];
        if (!below) outside();
        const indent = this.indentOf(i + 1);
        const isItem = this.text[below!.content] === '-';
        // A list may sit at its key's column when the mapping starts its line; an empty value is the library's.
        if (indent > col || (indent === col && isItem && at === line.content)) {
          const child = isItem ? this.seq(i + 1, childPath, keyLoc) : this.map(i + 1, below!.content, childPath, keyLoc);
          result[name] = child.value;
          next = child.next;
        } else return outside();
      } else {
        result[name] = this.inline(i, rest, childPath, keyLoc);
        next = i + 1;
      }
      end = this.lines[next - 1]!.next;
      i = next;
      if (i >= this.lines.length || this.indentOf(i) < col) break;
      if (this.indentOf(i) > col) outside();
      at = this.lines[i]!.content;
    }
    this.place(path, key, first, end);
    return { value: result, next: i };
  }

  private seq(i: number, path: (string | number)[], key: SourceLocation | undefined): { value: Plain; next: number } {
    if (path.length > MAX_DEPTH) outside();
    this.reserve(path, key);
    const col = this.indentOf(i);
    const first = this.lines[i]!.content;
    const items: Plain[] = [];
    let end: number;
    for (;;) {
      const line = this.lines[i]!;
      const dash = line.content;
      if (this.text[dash] !== '-' || dash + 1 >= line.end || this.text[dash + 1] !== ' ') outside();
      let at = dash + 1;
      while (at < line.end && this.text.charCodeAt(at) === 32) at++;
      if (at === line.end || this.text[at] === '#' || this.text[at] === '-') outside(); // empty or nested-list items
      const itemPath = [...path, items.length];
      let next: number;
      if (this.keyEnd(at, line.end) !== undefined) {
        const child = this.map(i, at, itemPath, undefined);
        items.push(child.value);
        next = child.next;
      } else {
        items.push(this.inline(i, at, itemPath, undefined));
        next = i + 1;
      }
      end = this.lines[next - 1]!.next;
      i = next;
      if (i >= this.lines.length || this.indentOf(i) < col) break;
      if (this.indentOf(i) > col) outside();
      if (this.text[this.lines[i]!.content] !== '-') break; // the key after a list at its key's column
    }
    this.place(path, key, first, end);
    return { value: items, next: i };
  }

  /** A scalar or flow list that ends its line (a comment may follow). */
  private inline(i: number, at: number, path: (string | number)[], key: SourceLocation | undefined): Plain {
    const line = this.lines[i]!;
    const { text } = this;
    if (text[at] === '[') {
      this.reserve(path, key);
      const items: Plain[] = [];
      const itemPrefix = path.length ? SourceMap.id(path) + '\u0001' : '';
      const close = this.find(']', at + 1, line.end);
      if (close >= 0 && !FLOW_SPECIAL.test(text.slice(at + 1, close))) return this.plainFlowList(at, close, line.end, path, key, itemPrefix);
      let p = at + 1;
      const skip = () => {
        while (p < line.end && text.charCodeAt(p) === 32) p++;
      };
      skip();
      if (text[p] !== ']') {
        for (;;) {
          const itemStart = p;
          let item: Plain;
          let itemEnd: number;
          if (text[p] === '"' || text[p] === "'") {
            const closed = this.quoted(p, line.end);
            item = closed.value;
            p = itemEnd = closed.end;
          } else {
            while (p < line.end && !',]'.includes(text[p]!)) p++;
            itemEnd = p;
            while (itemEnd > itemStart && text.charCodeAt(itemEnd - 1) === 32) itemEnd--;
            const raw = text.slice(itemStart, itemEnd);
            if (raw === '' || badPlainStart(text, itemStart) || /[:#[\]{}]/.test(raw)) outside();
            item = plainValue(raw);
          }
          // The item's id written directly (SourceMap.id of [...path, index]): lists may hold thousands.
          const value = this.locate(itemStart, Math.max(1, itemEnd - itemStart));
          this.sources.setById(itemPrefix + items.length, { value, key: undefined, includedFrom: this.includedFrom });
          items.push(item);
          skip();
          if (text[p] === ']') break;
          if (text[p] !== ',') outside();
          p++;
          skip();
          if (text[p] === ']' || p >= line.end) outside(); // a trailing comma, or a list over several lines
        }
      }
      this.endOfLine(p + 1, line.end);
      this.place(path, key, at, p + 1);
      return items;
    }
    if (text[at] === '"' || text[at] === "'") {
      const { value, end } = this.quoted(at, line.end);
      this.endOfLine(end, line.end);
      this.place(path, key, at, end);
      return value;
    }
    if (badPlainStart(text, at)) outside();
    const hash = this.find(' #', at, line.end);
    let end = hash >= 0 ? hash : line.end;
    while (end > at && text.charCodeAt(end - 1) === 32) end--;
    const raw = text.slice(at, end);
    if (raw.includes(': ') || raw.endsWith(':')) outside();
    const value = plainValue(raw);
    this.place(path, key, at, end);
    return value;
  }

  /** The offset of `what` in [from, to), or -1 (indexOf alone would search the rest of the text). */
  private find(what: string, from: number, to: number): number {
    const at = this.text.slice(from, to).indexOf(what);
    return at < 0 ? -1 : from + at;
  }

  /**
   * A flow list of plain scalars only, split at its commas by the runtime (a long list's items are most
   * of a large recipe's text); the same values and locations as the general loop in `inline`.
   */
  private plainFlowList(at: number, close: number, lineEnd: number, path: KeyPath, key: SourceLocation | undefined, itemPrefix: string): Plain {
    const body = this.text.slice(at + 1, close);
    const items: Plain[] = [];
    if (body.trim() !== '') {
      let offset = at + 1;
      for (const part of body.split(',')) {
        const raw = part.trim();
        const start = offset + part.length - part.trimStart().length;
        if (raw === '' || badPlainStart(this.text, start)) outside();
        const value = this.locate(start, Math.max(1, raw.length));
        this.sources.setById(itemPrefix + items.length, { value, key: undefined, includedFrom: this.includedFrom });
        items.push(plainValue(raw));
        offset += part.length + 1;
      }
    }
    this.endOfLine(close + 1, lineEnd);
    this.place(path, key, at, close + 1);
    return items;
  }

  /** A one-line quoted scalar without escapes; its value and the offset after its closing quote. */
  private quoted(at: number, lineEnd: number): { value: string; end: number } {
    const quote = this.text[at]!;
    const close = this.find(quote, at + 1, lineEnd);
    if (close < 0 || this.text[close + 1] === quote) outside();
    const value = this.text.slice(at + 1, close);
    if (quote === '"' && value.includes('\\')) outside();
    return { value, end: close + 1 };
  }

  /** After a value only spaces and a comment (after a space) may end the line. */
  private endOfLine(from: number, lineEnd: number): void {
    let p = from;
    while (p < lineEnd && this.text.charCodeAt(p) === 32) p++;
    if (p < lineEnd && (this.text[p] !== '#' || p === from)) outside();
  }
}

/** 1-based line and column of an offset, counted as the library's LineCounter counts them (line starts after each '\n'). */
export function lineLocator(text: string, file: string): Locate {
  const starts = [0];
  for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', nl + 1)) starts.push(nl + 1);
  // The first line start at or after the offset, found last time: a flow list's items share a line.
  let last = 0;
  return (offset, length) => {
    let low = last;
    if (!(low > 0 && starts[low - 1]! < offset && (low === starts.length || offset <= starts[low]!))) {
      low = 0;
      let high = starts.length;
      while (low < high) {
        const mid = (low + high) >> 1;
        if (starts[mid]! < offset) low = mid + 1;
        else high = mid;
      }
      last = low;
    }
    if (starts[low] === offset) return { file, line: low + 1, col: 1, length };
    return { file, line: low, col: offset - starts[low - 1]! + 1, length };
  };
}
