// The MLflow run each complete trial was logged as, so that a later run of a sweep links a trial
// that comes back whole from the store instead of logging it again. One small file per trial,
// named by a hash of the trial's node keys: the same nodes are the same trial, whichever sweep
// (or changed spec) made it.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sha256Hex } from '../util/canonical.js';

export interface SavedTrialRun { trial: string; sweep: string; mlflowRunId: string; trackingUri: string; savedAt: string }

export function trialKey(nodeKeys: string[]): string {
  return sha256Hex([...nodeKeys].sort().join('\n'));
}

function fileOf(runsDir: string, key: string): string {
  return join(runsDir, 'sweeps', 'trial-runs', `${key.slice(0, 32)}.json`);
}

export function readTrialRun(runsDir: string, key: string): SavedTrialRun | undefined {
  try {
    return JSON.parse(readFileSync(fileOf(runsDir, key), 'utf8')) as SavedTrialRun;
  } catch {
    return undefined; // never logged complete (or unreadable): the trial gets a run of its own
  }
}

export function saveTrialRun(runsDir: string, key: string, saved: SavedTrialRun): void {
  const file = fileOf(runsDir, key);
  mkdirSync(join(runsDir, 'sweeps', 'trial-runs'), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(saved, null, 2) + '\n');
  renameSync(tmp, file);
}

/** Two spellings of one tracking URI (a trailing slash) are the same server or store. */
export function sameTrackingUri(a: string | undefined, b: string | undefined): boolean {
  return a !== undefined && b !== undefined && a.replace(/\/+$/, '') === b.replace(/\/+$/, '');
}
