// Turning what plugins and recipes produce into entities every MLflow store accepts: keys sanitised,
// param values cut to 500 characters (the full value is returned so the caller can keep it as an
// artifact), tag values capped at 5000, steps and timestamps made integers. Warns once per key.

import type { KeyValue, Metric, RunBatch } from './backend.js';
import { sanitizeKey } from './keys.js';
import { MAX_PARAM_VALUE_LENGTH, MAX_TAG_VALUE_LENGTH, codePointLength, truncateCodePoints } from './values.js';

/** A param whose value was truncated; `value` is the full value. */
export interface OverflowParam { key: string; value: string }

export class BatchPreparer {
  private readonly warned = new Set<string>();

  constructor(private readonly warn: (msg: string) => void) {}

  key(raw: string, kind: 'metric' | 'param' | 'tag'): string {
    const key = sanitizeKey(raw);
    if (key !== raw) this.once(`key:${kind}:${raw}`, `MLflow: ${kind} name "${raw}" is not a valid MLflow key; logged as "${key}"`);
    return key;
  }

  metrics(points: Metric[]): Metric[] {
    return points.map((p) => {
      const step = Number.isFinite(p.step) ? Math.trunc(p.step) : 0;
      if (step !== p.step) this.once(`step:${p.key}`, `MLflow: metric "${p.key}" has a non-integer step ${p.step}; logged as ${step}`);
      const timestamp = Number.isFinite(p.timestamp) ? Math.max(0, Math.round(p.timestamp)) : Date.now();
      return { key: this.key(p.key, 'metric'), value: Number(p.value), timestamp, step };
    });
  }

  /** Params with unique valid keys and values ≤500 characters, plus the full values that were cut. */
  params(raw: KeyValue[]): { params: KeyValue[]; overflow: OverflowParam[] } {
    const byKey = new Map<string, string>();
    const overflow: OverflowParam[] = [];
    for (const p of raw) {
      let key = this.key(p.key, 'param');
      // Two raw keys may sanitise to the same key; MLflow rejects duplicate keys in a batch.
      if (byKey.has(key) && byKey.get(key) !== p.value) key = uniqueKey(key, byKey);
      if (byKey.has(key)) continue;
      let value = p.value;
      if (codePointLength(value) > MAX_PARAM_VALUE_LENGTH) {
        overflow.push({ key, value });
        value = truncateCodePoints(value, MAX_PARAM_VALUE_LENGTH);
      }
      byKey.set(key, value);
    }
    return { params: [...byKey].map(([key, value]) => ({ key, value })), overflow };
  }

  tags(raw: KeyValue[]): KeyValue[] {
    return raw.map((t) => {
      const key = this.key(t.key, 'tag');
      let value = t.value;
      if (codePointLength(value) > MAX_TAG_VALUE_LENGTH) {
        this.once(`tag:${key}`, `MLflow: tag "${key}" is ${codePointLength(value)} characters; truncated to ${MAX_TAG_VALUE_LENGTH}`);
        value = truncateCodePoints(value, MAX_TAG_VALUE_LENGTH);
      }
      return { key, value };
    });
  }

  batch(raw: RunBatch): { batch: RunBatch; overflow: OverflowParam[] } {
    const { params, overflow } = this.params(raw.params ?? []);
    return { batch: { metrics: this.metrics(raw.metrics ?? []), params, tags: this.tags(raw.tags ?? []) }, overflow };
  }

  private once(id: string, msg: string): void {
    if (this.warned.has(id)) return;
    this.warned.add(id);
    this.warn(msg);
  }
}

function uniqueKey(key: string, taken: Map<string, string>): string {
  for (let i = 2; ; i++) {
    const candidate = sanitizeKey(`${key}_${i}`);
    if (!taken.has(candidate)) return candidate;
  }
}
