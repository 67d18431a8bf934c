// Checks of a recipe's raw text that the YAML library does not make, or makes in terms meant for programmers:
// binary content, repeated %YAML directives, nesting depth and flow collections that never close.

/** Deeper nesting than this is refused before anything recurses over it (real recipes nest a dozen levels). */
export const MAX_NESTING = 100;

export type TextProblem =
  | { kind: 'binary'; offset: number; reason: string }
  | { kind: 'duplicate-directive'; offset: number; first: number }
  | { kind: 'too-deep'; offset: number }
  | { kind: 'unclosed'; offset: number; bracket: '[' | '{' };

/** Reads bytes as UTF-8 text, or says why they are not a text file (NUL bytes, invalid UTF-8). */
export function decodeText(bytes: Uint8Array): { text: string } | { problem: TextProblem } {
  const nul = bytes.indexOf(0);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    const loose = new TextDecoder('utf-8').decode(bytes);
    return { problem: { kind: 'binary', offset: Math.max(0, loose.indexOf('\uFFFD')), reason: 'it is not valid UTF-8 text' } };
  }
  if (nul >= 0) return { problem: { kind: 'binary', offset: text.indexOf('\0'), reason: 'it contains NUL bytes' } };
  // A byte-order mark stays: the YAML parser reads it as one (and offsets stay those of the file).
  return { text };
}

/** Bare CR line ends (old Mac files) become LF; offsets stay the same, so locations do too. */
export function normalizeLineEnds(text: string): string {
  return text.includes('\r') ? text.replace(/\r(?!\n)/g, '\n') : text;
}

/** The lines of a text, whatever its line ends (LF, CRLF or bare CR). */
export function splitLines(text: string): string[] {
  return text.split(/\r\n|\r|\n/);
}

/** A second %YAML directive before the document starts (YAML 1.2 allows one). */
export function duplicateDirective(text: string): TextProblem | undefined {
  let first: number | undefined;
  let offset = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith('---') || (!line.startsWith('%') && !line.startsWith('#') && line.trim() !== '')) return undefined;
    if (/^%YAML(\s|$)/.test(line)) {
      if (first !== undefined) return { kind: 'duplicate-directive', offset, first };
      first = offset;
    }
    offset += line.length + 1;
  }
  return undefined;
}

interface CstToken {
  type: string;
  offset: number;
  source?: string;
  start?: CstToken | CstToken[];
  end?: CstToken[];
  value?: CstToken;
  key?: CstToken | null;
  items?: { key?: CstToken | null; value?: CstToken | null }[];
}

/**
 * Walks the concrete syntax tree without recursion: the first collection nested deeper than MAX_NESTING,
 * else the first flow collection ([ or {) whose closing bracket is missing.
 */
export function structureProblem(tokens: readonly unknown[]): TextProblem | undefined {
  const stack: { token: CstToken; depth: number }[] = [];
  for (const token of tokens as CstToken[]) stack.push({ token, depth: 0 });
  stack.reverse();
  let unclosed: TextProblem | undefined;
  while (stack.length) {
    const { token, depth } = stack.pop()!;
    const isCollection = token.type === 'block-map' || token.type === 'block-seq' || token.type === 'flow-collection';
    const level = isCollection ? depth + 1 : depth;
    if (level > MAX_NESTING) return { kind: 'too-deep', offset: token.offset };
    if (token.type === 'flow-collection' && !unclosed) {
      const open = token.start as CstToken;
      const close = open.source === '[' ? ']' : '}';
      if (!(token.end ?? []).some((t) => t.source === close)) unclosed = { kind: 'unclosed', offset: open.offset, bracket: open.source as '[' | '{' };
    }
    const children: CstToken[] = [];
    if (token.type === 'document' && token.value) children.push(token.value);
    for (const item of token.items ?? []) {
      if (item.key) children.push(item.key);
      if (item.value) children.push(item.value);
    }
    for (let i = children.length - 1; i >= 0; i--) stack.push({ token: children[i]!, depth: level });
  }
  return unclosed;
}
