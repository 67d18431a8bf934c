// What a node needs to run (not part of its key), checked once interpolation has given final values.
import { parseTimeLimit } from '../util/time-limit.js';
import type { Resources } from './types.js';

/** Problems of resolved resources, as [key, message] pairs. */
export function resourceProblems(resources: Record<string, unknown>): [keyof Resources, string][] {
  const out: [keyof Resources, string][] = [];
  const integer = (key: 'memoryMb' | 'cpus' | 'gpus', min: number) => {
    const v = resources[key];
    if (v !== undefined && !(Number.isInteger(v) && (v as number) >= min)) out.push([key, `expected an integer ≥ ${min}, got ${JSON.stringify(v)}`]);
  };
  integer('memoryMb', 16);
  integer('cpus', 1);
  integer('gpus', 0);
  const limit = resources.timeLimit;
  if (limit !== undefined && (typeof limit !== 'string' || parseTimeLimit(limit) === undefined)) {
    out.push(['timeLimit', `expected a time limit such as 90m, 2h, 30:00 or 1-00:00:00, got ${JSON.stringify(limit)}`]);
  }
  return out;
}
