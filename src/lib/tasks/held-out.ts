// Tasks held out of every training stage and evaluated only (LLM-R's Table 3). One param shape for
// every stage that takes it: the stages that train skip these tasks, the evaluations report them
// apart, and both resolve the list the same way.
import type { TaskMeta } from '../data/task.js';
import { NodeFailure } from '../../plugin/api.js';
import { taskSpecFor } from './registry.js';

/** `'llm-r'`: the paper's four (and the built-in stand-ins for them); otherwise task names. */
export type HeldOutTasks = 'llm-r' | readonly string[];

export const HELD_OUT_TASKS_SCHEMA = {
  anyOf: [{ const: 'llm-r' }, { type: 'array', items: { type: 'string', minLength: 1 }, uniqueItems: true }],
  default: [],
} as const;

/** The tasks of `metas` that `heldOut` names; a name that is no task is an error. */
export function heldOutTaskNames(metas: readonly TaskMeta[], heldOut: HeldOutTasks): string[] {
  if (heldOut === 'llm-r') return metas.filter((m) => taskSpecFor(m).heldOut).map((m) => m.name);
  const names = new Set(metas.map((m) => m.name));
  const unknown = heldOut.filter((n) => !names.has(n));
  if (unknown.length > 0) {
    throw new NodeFailure(`heldOutTasks names ${unknown.map((n) => `"${n}"`).join(', ')}, not among the tasks (${[...names].sort().join(', ')})`);
  }
  return metas.filter((m) => heldOut.includes(m.name)).map((m) => m.name);
}
