// A node's resolved params as MLflow params: nested objects become dotted keys
// ({opt: {lr: 0.1}} → opt.lr = "0.1"); arrays and other leaves become one string value.

import type { KeyValue } from './backend.js';

export function flattenParams(params: Record<string, unknown>, prefix = ''): KeyValue[] {
  const out: KeyValue[] = [];
  for (const name of Object.keys(params).sort()) {
    const value = params[name];
    const key = prefix ? `${prefix}.${name}` : name;
    if (isPlainObject(value) && Object.keys(value).length > 0) out.push(...flattenParams(value, key));
    else out.push({ key, value: paramValue(value) });
  }
  return out;
}

export function paramValue(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value === undefined) return '';
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  if (value === null) return 'null';
  return JSON.stringify(value);
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
