// MLflow key rules (metric, param and tag names), applied on the client so that any server,
// old or new, and the FileStore accept the key: the strict regex ^[/\w.\- ]*$ (ASCII word characters),
// at most 250 characters, and "path unique" (normpath(k) == k: no '//', no '.'/'..' segments,
// no leading or trailing '/', no leading '..').

import { createHash } from 'node:crypto';

export const MAX_KEY_LENGTH = 250;
const INVALID_CHAR = /[^A-Za-z0-9_/.\- ]/g;

export function isValidKey(key: string): boolean {
  if (key.length === 0 || key.length > MAX_KEY_LENGTH) return false;
  if (!/^[A-Za-z0-9_/.\- ]*$/.test(key)) return false;
  if (key.startsWith('..')) return false; // MLflow rejects a normalised key starting with '..'
  const segments = key.split('/');
  return segments.every((s) => s !== '' && s !== '.' && s !== '..');
}

/** Maps any string to a valid MLflow key; valid keys are returned unchanged. */
export function sanitizeKey(raw: string): string {
  if (isValidKey(raw)) return raw;
  const segments = raw
    .replace(INVALID_CHAR, '_')
    .split('/')
    .filter((s) => s !== '' && s !== '.')
    .map((s) => (s === '..' ? '__' : s));
  let key = segments.join('/');
  if (key === '') key = '_';
  if (key.startsWith('..')) key = `_${key}`;
  if (key.length > MAX_KEY_LENGTH) key = shorten(key, raw);
  return key;
}

/** Truncates keeping a digest of the original so two long keys with a common prefix stay distinct. */
function shorten(key: string, raw: string): string {
  const digest = createHash('sha256').update(raw).digest('hex').slice(0, 8);
  let head = key.slice(0, MAX_KEY_LENGTH - digest.length - 1);
  while (head.endsWith('/')) head = head.slice(0, -1);
  return `${head}-${digest}`;
}

/** A node id as one readable key segment prefix: `eval[rte]` → `eval.rte`, `train#2` → `train.2`. */
export function nodeKeySegment(nodeId: string): string {
  const readable = nodeId.replace(/\[/g, '.').replace(/\]/g, '').replace(/#/g, '.');
  return sanitizeKey(readable);
}
