// Canonical JSON: sorted keys, one spelling per number, so equal structures hash equally.
import { createHash } from 'node:crypto';

export function canonicalJson(value: unknown): string {
  return write(value);
}

// Plain loops and string concatenation: this runs once per node key, 10^4–10^5 times per plan.
function write(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  switch (typeof value) {
    case 'number':
      // Non-finite numbers have no JSON spelling; tag them so they never collide with strings.
      if (!Number.isFinite(value)) return JSON.stringify({ $number: String(value) });
      return Object.is(value, -0) ? '0' : JSON.stringify(value);
    case 'string':
    case 'boolean':
      return JSON.stringify(value);
    case 'bigint':
      return JSON.stringify({ $bigint: value.toString() });
    case 'object': {
      if (Array.isArray(value)) {
        let out = '[';
        for (let i = 0; i < value.length; i++) out += (i ? ',' : '') + write(value[i]);
        return out + ']';
      }
      const record = value as Record<string, unknown>;
      const keys = Object.keys(record).sort();
      let out = '{';
      let first = true;
      for (const k of keys) {
        const v = record[k];
        if (v === undefined) continue;
        out += (first ? '' : ',') + JSON.stringify(k) + ':' + write(v);
        first = false;
      }
      return out + '}';
    }
    default:
      throw new TypeError(`cannot canonicalise a ${typeof value}`);
  }
}

export function sha256Hex(text: string | Buffer): string {
  return createHash('sha256').update(text).digest('hex');
}
