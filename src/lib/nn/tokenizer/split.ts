// Splitting a string on the matches of a regex, with HF's five delimiter behaviours.

export type SplitBehavior = 'Removed' | 'Isolated' | 'MergedWithPrevious' | 'MergedWithNext' | 'Contiguous';
export const SPLIT_BEHAVIORS: readonly SplitBehavior[] = ['Removed', 'Isolated', 'MergedWithPrevious', 'MergedWithNext', 'Contiguous'];

/** `regex` must be global. With `invert`, the matches are the pieces and the gaps the delimiters. */
export function splitBy(text: string, regex: RegExp, behavior: SplitBehavior, invert = false): string[] {
  // Alternating spans: [isDelimiter, start, end].
  const spans: [boolean, number, number][] = [];
  let last = 0;
  regex.lastIndex = 0;
  for (const m of text.matchAll(regex)) {
    const s = m.index!;
    const e = s + m[0].length;
    if (e === s) continue; // empty matches delimit nothing
    if (s > last) spans.push([invert, last, s]);
    spans.push([!invert, s, e]);
    last = e;
  }
  if (last < text.length) spans.push([invert, last, text.length]);

  const out: string[] = [];
  switch (behavior) {
    case 'Removed':
      for (const [d, s, e] of spans) if (!d) out.push(text.slice(s, e));
      break;
    case 'Isolated':
      for (const [, s, e] of spans) out.push(text.slice(s, e));
      break;
    case 'Contiguous': {
      let prevDelim = false;
      for (const [d, s, e] of spans) {
        if (d && prevDelim) out[out.length - 1] += text.slice(s, e);
        else out.push(text.slice(s, e));
        prevDelim = d;
      }
      break;
    }
    case 'MergedWithPrevious': {
      let prevWasText = false;
      for (const [d, s, e] of spans) {
        if (d && prevWasText) out[out.length - 1] += text.slice(s, e);
        else out.push(text.slice(s, e));
        prevWasText = !d;
      }
      break;
    }
    case 'MergedWithNext': {
      let pending = '';
      for (const [d, s, e] of spans) {
        if (d) {
          if (pending) out.push(pending);
          pending = text.slice(s, e);
        } else {
          out.push(pending + text.slice(s, e));
          pending = '';
        }
      }
      if (pending) out.push(pending);
      break;
    }
  }
  return out;
}
