// Post-processors: add the model's special tokens around one sequence or a pair and assign
// type ids (HF `post_processor`).

import { concatEncodings, plainEncoding, type Encoding } from './encoding.js';
import { locatedError, unsupportedType } from './errors.js';
import { Fields, type JsonObject } from './json-fields.js';

export interface PostProcessor {
  /** How many tokens process() adds to a single sequence or a pair. */
  addedTokens(isPair: boolean): number;
  process(a: Encoding, b: Encoding | null): Encoding;
  toJSON(): JsonObject;
}

function special(ids: readonly number[], typeId: number): Encoding {
  return { ids: [...ids], typeIds: ids.map(() => typeId), specialTokensMask: ids.map(() => 1) };
}

function withType(e: Encoding, typeId: number): Encoding {
  return { ...e, typeIds: e.ids.map(() => typeId) };
}

export type TemplatePiece = { kind: 'sequence'; which: 'A' | 'B'; typeId: number } | { kind: 'special'; token: string; typeId: number };

export interface TemplateSpecialToken {
  id: string;
  ids: number[];
  tokens: string[];
}

/** `[CLS] $A [SEP]` / `[CLS] $A [SEP] $B:1 [SEP]:1`, the general form (BERT and Llama files use it). */
export class TemplateProcessing implements PostProcessor {
  constructor(
    readonly single: TemplatePiece[],
    readonly pair: TemplatePiece[],
    readonly specialTokens: Map<string, TemplateSpecialToken>,
  ) {}

  addedTokens(isPair: boolean): number {
    let n = 0;
    for (const p of isPair ? this.pair : this.single) if (p.kind === 'special') n += this.specialTokens.get(p.token)!.ids.length;
    return n;
  }

  process(a: Encoding, b: Encoding | null): Encoding {
    let out = plainEncoding([]);
    for (const p of b ? this.pair : this.single) {
      if (p.kind === 'special') out = concatEncodings(out, special(this.specialTokens.get(p.token)!.ids, p.typeId));
      else {
        const seq = p.which === 'A' ? a : b;
        if (seq) out = concatEncodings(out, withType(seq, p.typeId));
      }
    }
    return out;
  }

  toJSON(): JsonObject {
    const piece = (p: TemplatePiece): JsonObject => (p.kind === 'special' ? { SpecialToken: { id: p.token, type_id: p.typeId } } : { Sequence: { id: p.which, type_id: p.typeId } });
    const specials: JsonObject = {};
    for (const [k, v] of this.specialTokens) specials[k] = { id: v.id, ids: v.ids, tokens: v.tokens };
    return { type: 'TemplateProcessing', single: this.single.map(piece), pair: this.pair.map(piece), special_tokens: specials };
  }
}

/** BERT: `[CLS] A [SEP]`, pairs `[CLS] A [SEP] B [SEP]` with B and its [SEP] of type 1. */
export class BertProcessing implements PostProcessor {
  constructor(readonly sep: [string, number], readonly cls: [string, number]) {}
  addedTokens(isPair: boolean): number {
    return isPair ? 3 : 2;
  }
  process(a: Encoding, b: Encoding | null): Encoding {
    let out = concatEncodings(concatEncodings(special([this.cls[1]], 0), withType(a, 0)), special([this.sep[1]], 0));
    if (b) out = concatEncodings(concatEncodings(out, withType(b, 1)), special([this.sep[1]], 1));
    return out;
  }
  toJSON(): JsonObject {
    return { type: 'BertProcessing', sep: this.sep, cls: this.cls };
  }
}

/** RoBERTa: `<s> A </s>`, pairs `<s> A </s> </s> B </s>`, all of type 0. */
export class RobertaProcessing implements PostProcessor {
  constructor(readonly sep: [string, number], readonly cls: [string, number], readonly trimOffsets = true, readonly addPrefixSpace = true) {}
  addedTokens(isPair: boolean): number {
    return isPair ? 4 : 2;
  }
  process(a: Encoding, b: Encoding | null): Encoding {
    let out = concatEncodings(concatEncodings(special([this.cls[1]], 0), withType(a, 0)), special([this.sep[1]], 0));
    if (b) out = concatEncodings(concatEncodings(concatEncodings(out, special([this.sep[1]], 0)), withType(b, 0)), special([this.sep[1]], 0));
    return out;
  }
  toJSON(): JsonObject {
    return { type: 'RobertaProcessing', sep: this.sep, cls: this.cls, trim_offsets: this.trimOffsets, add_prefix_space: this.addPrefixSpace };
  }
}

/** GPT-2's ByteLevel post-processor only trims offsets; ids pass through (a pair is A then B, B of type 1). */
export class ByteLevelProcessing implements PostProcessor {
  constructor(readonly addPrefixSpace = true, readonly trimOffsets = true, readonly useRegex = true) {}
  addedTokens(): number {
    return 0;
  }
  process(a: Encoding, b: Encoding | null): Encoding {
    return b ? concatEncodings(withType(a, 0), withType(b, 1)) : a;
  }
  toJSON(): JsonObject {
    return { type: 'ByteLevel', add_prefix_space: this.addPrefixSpace, trim_offsets: this.trimOffsets, use_regex: this.useRegex };
  }
}

export class PostProcessorSequence implements PostProcessor {
  constructor(readonly processors: PostProcessor[]) {}
  addedTokens(isPair: boolean): number {
    return this.processors.reduce((n, p) => n + p.addedTokens(isPair), 0);
  }
  process(a: Encoding, b: Encoding | null): Encoding {
    // As in HF, later processors see the already merged encoding.
    const [first, ...rest] = this.processors;
    let out = first ? first.process(a, b) : b ? concatEncodings(a, b) : a;
    for (const p of rest) out = p.process(out, null);
    return out;
  }
  toJSON(): JsonObject {
    return { type: 'Sequence', processors: this.processors.map((p) => p.toJSON()) };
  }
}

export const POST_PROCESSOR_TYPES = ['TemplateProcessing', 'BertProcessing', 'RobertaProcessing', 'ByteLevel', 'Sequence'] as const;

function tokenAndId(f: Fields, key: string): [string, number] {
  const v = f.raw(key);
  if (!Array.isArray(v) || v.length !== 2 || typeof v[0] !== 'string' || !Number.isInteger(v[1])) throw locatedError(f.at(key), 'must be ["token", id]');
  return [v[0], v[1] as number];
}

/** A template is an array of {Sequence: {id, type_id}} / {SpecialToken: {id, type_id}}, or the string form "[CLS] $A:0 [SEP]". */
function readTemplate(f: Fields, key: string): TemplatePiece[] {
  const v = f.raw(key);
  if (typeof v === 'string') return parseTemplateString(v, f, key);
  return f.elements(key).map((p) => {
    if (p.has('Sequence')) {
      const s = p.object('Sequence');
      const which = s.string('id');
      if (which !== 'A' && which !== 'B') throw locatedError(s.at('id'), `must be "A" or "B", got '${which}'`);
      return { kind: 'sequence', which, typeId: s.int('type_id', 0) };
    }
    if (p.has('SpecialToken')) {
      const s = p.object('SpecialToken');
      return { kind: 'special', token: s.string('id'), typeId: s.int('type_id', 0) };
    }
    throw locatedError(p.loc, 'must be {"Sequence": …} or {"SpecialToken": …}');
  });
}

function parseTemplateString(text: string, f: Fields, key: string): TemplatePiece[] {
  return text.split(/\s+/).filter(Boolean).map((part) => {
    // "name" or "name:typeId"
    const suffix = /:(\d+)$/.exec(part);
    const name = suffix ? part.slice(0, suffix.index) : part;
    const digits = suffix?.[1];
    const type = digits === undefined ? 0 : Number(digits);
    if (name === '$A' || name === '$' || name === '$B') return { kind: 'sequence', which: name === '$B' ? 'B' : 'A', typeId: type };
    if (name.startsWith('$')) {
      if (/^\$\d+$/.test(name)) return { kind: 'sequence', which: 'A', typeId: Number(name.slice(1)) };
      throw locatedError(f.at(key), `'${part}' is not a sequence ($A, $B)`);
    }
    return { kind: 'special', token: name, typeId: type };
  });
}

export function parsePostProcessor(f: Fields): PostProcessor {
  const type = f.raw('type');
  switch (type) {
    case 'TemplateProcessing': {
      const single = readTemplate(f, 'single');
      const pair = readTemplate(f, 'pair');
      const specials = new Map<string, TemplateSpecialToken>();
      const st = f.has('special_tokens') ? f.object('special_tokens') : Fields.of({}, f.at('special_tokens'));
      for (const name of Object.keys(st.obj)) {
        const s = st.object(name);
        const ids = s.array('ids');
        if (!ids.every((x) => Number.isInteger(x) && (x as number) >= 0)) throw locatedError(s.at('ids'), 'must be an array of token ids');
        specials.set(name, { id: s.string('id', name), ids: ids as number[], tokens: s.has('tokens') ? (s.array('tokens') as string[]) : [name] });
      }
      for (const [which, pieces] of [['single', single], ['pair', pair]] as const) {
        for (const p of pieces) if (p.kind === 'special' && !specials.has(p.token)) throw locatedError(f.at(which), `uses '${p.token}', which special_tokens does not define`);
      }
      return new TemplateProcessing(single, pair, specials);
    }
    case 'BertProcessing':
      return new BertProcessing(tokenAndId(f, 'sep'), tokenAndId(f, 'cls'));
    case 'RobertaProcessing':
      return new RobertaProcessing(tokenAndId(f, 'sep'), tokenAndId(f, 'cls'), f.bool('trim_offsets', true), f.bool('add_prefix_space', true));
    case 'ByteLevel':
      return new ByteLevelProcessing(f.bool('add_prefix_space', true), f.bool('trim_offsets', true), f.bool('use_regex', true));
    case 'Sequence':
      return new PostProcessorSequence(f.elements('processors').map(parsePostProcessor));
    default:
      throw unsupportedType(f.loc, type, POST_PROCESSOR_TYPES);
  }
}
