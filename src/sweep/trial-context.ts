// What a sweep's trials share besides nodes, and what each keeps for itself. Each trial compiles
// its own vars, `track:`, `report:` and `executor:`; the merged recipe must not quietly take the
// first trial's. Vars and track tags are per trial (each trial's MLflow run gets its own); the
// sweep keeps the ones every trial agrees on. Tables, the experiment and the executor belong to
// the whole sweep (one table pools every trial, one run uses one executor and one experiment): a
// swept value that changes them is a located error at the value that does it.
import type { CompiledRecipe } from '../graph/types.js';
import type { Diagnostic } from '../recipe/diagnostic.js';
import type { Plain } from '../recipe/load.js';
import { canonicalJson } from '../util/canonical.js';
import type { TrialDraft } from './expand.js';

/** A trial's own vars and track tags (what its MLflow run records). */
export interface TrialContext { vars: Record<string, Plain>; tags: Record<string, string> }

export interface SharedContext {
  /** The vars every trial gives the same value. */
  vars: Record<string, Plain>;
  /** The recipe's `track:` with only the tags every trial agrees on. */
  track: CompiledRecipe['track'];
  contexts: Map<string, TrialContext>;
  errors: Diagnostic[];
}

interface Trial { draft: TrialDraft; recipe: CompiledRecipe }

export function trialContexts(trials: Trial[]): SharedContext {
  const [firstTrial] = trials;
  if (!firstTrial) throw new Error('internal: a sweep without trials');
  const first = firstTrial.recipe;
  const errors: Diagnostic[] = [];
  const { tags: _tags, ...firstTrack } = first.track;
  const sweepWide = [
    { what: 'report.tables', of: (r: CompiledRecipe) => r.tables, why: "a sweep's tables pool the nodes of every trial, so they cannot depend on a swept value", hint: 'expected tables that are the same in every trial; label rows or columns by the axis instead (row: trial.<axis path>, e.g. trial.vars.seed)' },
    { what: 'track', of: (r: CompiledRecipe) => { const { tags: _t, ...rest } = r.track; return rest; }, why: 'a sweep logs to one MLflow server and experiment', hint: 'expected the same track.enabled, track.uri and track.experiment in every trial (track.tags may differ: each trial run gets its own)' },
    { what: 'executor', of: (r: CompiledRecipe) => r.executor ?? null, why: 'one run of a sweep uses one executor', hint: 'expected the same executor: in every trial' },
  ];
  for (const part of sweepWide) {
    const base = canonicalJson(part.of(first) as Plain);
    const other = trials.find((t) => canonicalJson(part.of(t.recipe) as Plain) !== base);
    if (other) errors.push(differs(part.what, firstTrial.draft, other.draft, part.why, part.hint));
  }
  const vars = agreed(trials.map((t) => t.recipe.vars));
  const tags = agreed(trials.map((t) => t.recipe.track.tags ?? {})) as Record<string, string>;
  const contexts = new Map(trials.map((t) => [t.draft.id, { vars: t.recipe.vars, tags: t.recipe.track.tags ?? {} }]));
  return { vars, track: { ...firstTrack, ...(first.track.tags ? { tags } : {}) }, contexts, errors };
}

/** The entries every record has with the same value. */
function agreed(records: Record<string, unknown>[]): Record<string, Plain> {
  const out: Record<string, Plain> = {};
  const [first = {}] = records;
  for (const [name, value] of Object.entries(first)) {
    const text = canonicalJson(value as Plain);
    if (records.every((r) => Object.hasOwn(r, name) && canonicalJson(r[name] as Plain) === text)) out[name] = value as Plain;
  }
  return out;
}

/** Located at the first value `b` sets differently from `a`: the axis that made the part differ. */
function differs(what: string, a: TrialDraft, b: TrialDraft, why: string, hint: string): Diagnostic {
  const changed = b.settings.filter((s) => !Object.hasOwn(a.assignments, s.path) || canonicalJson(a.assignments[s.path]) !== canonicalJson(s.value));
  const at = changed[0] ?? b.settings[0];
  const paths = changed.map((s) => s.path);
  return {
    message: `${what} differs between trials ${a.id} and ${b.id}${paths.length ? ` (it depends on ${paths.map((p) => `'${p}'`).join(', ')})` : ''}: ${why}`,
    location: at ? at.override.valueLocation ?? at.override.location : { file: '<sweep>', line: 1, col: 1 },
    keyPath: at?.path ?? what,
    hint,
  };
}
