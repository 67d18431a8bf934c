// GPT-2's byte-level alphabet: every byte is shown as one printable character, so a BPE over
// these characters can spell any UTF-8 text and never needs an unknown token.

/** Byte b → its character: printable Latin-1 bytes stand for themselves, the other 68 go to U+0100… */
export const BYTE_TO_CHAR: readonly string[] = (() => {
  const out: string[] = new Array(256);
  let next = 256;
  for (let b = 0; b < 256; b++) {
    const printable = (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
    out[b] = String.fromCodePoint(printable ? b : next++);
  }
  return out;
})();

export const CHAR_TO_BYTE: ReadonlyMap<string, number> = new Map(BYTE_TO_CHAR.map((c, b) => [c, b]));

/** GPT-2's split: contractions, letter runs, number runs, other-symbol runs (each with one optional leading space), whitespace. */
export const GPT2_PATTERN = /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+/gu;

const encoder = new TextEncoder();
const ASCII_ONLY = /^[\x00-\x7f]*$/;

/** The byte-level spelling of a string (its UTF-8 bytes, one character each). */
export function toByteLevel(s: string): string {
  let out = '';
  if (ASCII_ONLY.test(s)) {
    for (let i = 0; i < s.length; i++) out += BYTE_TO_CHAR[s.charCodeAt(i)];
    return out;
  }
  for (const b of encoder.encode(s)) out += BYTE_TO_CHAR[b];
  return out;
}

const decoder = new TextDecoder('utf-8', { fatal: false });

/** Inverse of toByteLevel; a token with characters outside the alphabet contributes its own UTF-8 bytes (as HF does). */
export function fromByteLevel(tokens: readonly string[]): string {
  const bytes: number[] = [];
  for (const t of tokens) {
    const mapped: number[] = [];
    let ok = true;
    for (const ch of t) {
      const b = CHAR_TO_BYTE.get(ch);
      if (b === undefined) { ok = false; break; }
      mapped.push(b);
    }
    if (ok) for (const b of mapped) bytes.push(b);
    else for (const b of encoder.encode(t)) bytes.push(b);
  }
  return decoder.decode(new Uint8Array(bytes));
}
