// The log of an adaptive search (runs/sweeps/<recipe>-<hash>.search.json): every trial in the order
// it was proposed, with its assignment, state, objective and intermediate values. Written whenever a
// trial is proposed or ends, so a killed search resumes with the same trials: finished ones come back
// from the store, the rest run again, and new proposals see the same history.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { IntermediateValue, TrialState, Assignment } from '../search/index.js';
import type { SearchSummary } from '../search-spec.js';
import { stateFile } from '../state.js';

export interface LoggedTrial {
  /** 0, 1, 2…: the order of proposal. */
  number: number;
  /** `temperature=0.0123,alpha=0.2`. */
  label: string;
  assignment: Assignment;
  state: TrialState;
  objective?: number;
  /** The objective metric's values by step, as the trial's node reported them. */
  intermediate?: IntermediateValue[];
  /** The retort run that last ran the trial. */
  runId?: string;
  /** Why it failed or was pruned. */
  note?: string;
  /** The MLflow run of the trial, where one was made: a trial that comes back from the store links to it. */
  tracking?: Record<string, string>;
}

export interface SearchLog { sweep: string; recipe: string; updatedAt: string; search: SearchSummary; trials: LoggedTrial[] }

export function searchLogFile(runsDir: string, recipeFile: string): string {
  return stateFile(runsDir, recipeFile).replace(/\.json$/, '.search.json');
}

export function readSearchLog(runsDir: string, recipeFile: string): SearchLog | undefined {
  try {
    return JSON.parse(readFileSync(searchLogFile(runsDir, recipeFile), 'utf8')) as SearchLog;
  } catch {
    return undefined; // never run, or unreadable: a new search
  }
}

export function writeSearchLog(runsDir: string, log: SearchLog, now = new Date()): void {
  const file = searchLogFile(runsDir, log.recipe);
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify({ ...log, updatedAt: now.toISOString() }, null, 2) + '\n');
  renameSync(tmp, file);
}
