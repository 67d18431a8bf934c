// LLM-R task specs by name, and a spec for any task folder's metadata (what rendering needs; the
// registry module adds the rendering functions to the same public surface).

import type { TaskMeta } from '../data/task.js';
import { GENERATORS } from './generated/suite.js';
import { LLM_R_TASKS } from './llm-r-tasks.js';
import { DEFAULT_SCORING, type TaskSpec } from './spec.js';

export const TASK_REGISTRY: Readonly<Record<string, TaskSpec>> = Object.freeze(
  Object.fromEntries(LLM_R_TASKS.map((t) => [t.name, t])),
);

/** Names of the 30 LLM-R tasks, in the order of Table 8 (categories as in Table 1). */
export const LLM_R_TASK_NAMES: readonly string[] = LLM_R_TASKS.map((t) => t.name);

/** Names of the LLM-R tasks held out of retriever training. */
export const HELD_OUT_TASKS: readonly string[] = LLM_R_TASKS.filter((t) => t.heldOut).map((t) => t.name);

const GENERATED_MIRRORS: ReadonlyMap<string, string> = new Map(GENERATORS.map((g) => [g.name, g.mirrors]));

/** The LLM-R task a built-in generated task stands in for, if `name` is one. */
export function mirroredTask(name: string): string | undefined {
  return GENERATED_MIRRORS.get(name);
}

/** "span1_text" → "Span1 text". */
function fieldLabel(name: string): string {
  const words = name.replace(/[_-]+/g, ' ').trim();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** A template for tasks the registry does not know: one `Field: value` line per field. */
export function genericTemplate(fields: string[]): (values: Record<string, string>) => string {
  return (values) => fields.map((f) => `${fieldLabel(f)}: ${values[f] ?? ''}`).join('\n');
}

const cache = new WeakMap<TaskMeta, TaskSpec>();

/**
 * The spec for a task folder: the registry entry when the name is known and the folder has the
 * fields its template reads, else a generic one built from meta.fields (generated tasks use the
 * generic template and the held-out flag of the LLM-R task they mirror). A known task keeps
 * the registry's category (Table 1 of the paper), type, metric and scoring; other tasks take
 * them from the data. Label words are the verbalizer applied to meta.labels.
 */
export function taskSpecFor(meta: TaskMeta): TaskSpec {
  const hit = cache.get(meta);
  if (hit) return hit;
  const known = Object.prototype.hasOwnProperty.call(TASK_REGISTRY, meta.name) ? TASK_REGISTRY[meta.name] : undefined;
  const usable = known !== undefined && known.type === meta.type && known.fields.every((f) => meta.fields.includes(f));
  const verbalizer = usable ? known.verbalizer : {};
  if (usable) {
    const spec: TaskSpec = { ...known, labels: meta.type === 'classification' ? meta.labels.map((l) => verbalizer[l] ?? l) : [] };
    cache.set(meta, spec);
    return spec;
  }
  const spec: TaskSpec = {
    name: meta.name,
    category: meta.category,
    type: meta.type,
    metric: meta.metric,
    secondary: [],
    labels: meta.type === 'classification' ? meta.labels.map((l) => verbalizer[l] ?? l) : [],
    verbalizer,
    // Generated stand-ins inherit the held-out flag of the task they mirror.
    heldOut: TASK_REGISTRY[mirroredTask(meta.name) ?? '']?.heldOut ?? false,
    fields: [...meta.fields],
    template: genericTemplate(meta.fields),
    scoring: DEFAULT_SCORING,
  };
  cache.set(meta, spec);
  return spec;
}
