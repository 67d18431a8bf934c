// The loop of an adaptive search: keep up to `parallel` trials in flight, propose the next one from
// the history whenever one ends, stop a trial the pruner gives up on, and log every change.
// Running a trial (compile, plan, run its nodes) is the caller's: this only decides.
import type { MedianPruner, IntermediateValue, Sampler, Trial, Assignment, SearchSpace } from '../search/index.js';
import { roundAssignment } from './prepare-search.js';
import type { LoggedTrial } from './search-log.js';

/** How one run of a trial ended. `cancelled`: its signal was aborted (a prune or an interrupt). */
export interface TrialRun {
  outcome: 'done' | 'failed' | 'cancelled';
  objective?: number;
  intermediate: IntermediateValue[];
  runId: string;
  note?: string;
  /** The trial's MLflow run (absent: none was made, e.g. a trial linked to its earlier run). */
  tracking?: Record<string, string>;
  /** Every trial would fail the same way (the objective's node records no such metric): propose no more. */
  stopSearch?: boolean;
}

export interface TrialHooks {
  /** Aborted to stop the trial (pruned, or the whole search interrupted). */
  signal: AbortSignal;
  /** The trial's objective metric was reported at a step. */
  onObjective(point: IntermediateValue): void;
}

export interface SearchDriverOptions {
  space: SearchSpace;
  sampler: Sampler;
  pruner?: MedianPruner;
  parallel: number;
  /** The logged trials of this search (empty for a new one). */
  logged: LoggedTrial[];
  signal: AbortSignal;
  label(assignment: Assignment): string;
  runTrial(trial: LoggedTrial, hooks: TrialHooks): Promise<TrialRun>;
  /** Called with every trial whenever one is proposed or ends. */
  save(trials: readonly LoggedTrial[]): void;
  /** A trial started (`again`: replayed from the log) or ended. */
  onTrial?(trial: LoggedTrial, event: 'started' | 'ended', again: boolean): void;
}

export async function driveSearch(opts: SearchDriverOptions): Promise<LoggedTrial[]> {
  const trials: LoggedTrial[] = opts.logged.map((t) => ({ ...t }));
  // Logged trials run again, in their order, except pruned ones (their intermediate values are the evidence).
  const replay = trials.filter((t) => t.state !== 'pruned');
  const inFlight = new Map<LoggedTrial, Promise<void>>();
  let stopped = false;
  const history = (): Trial[] => trials.map((t) => ({ assignment: t.assignment, state: t.state, objective: t.objective, intermediate: t.intermediate }));

  const start = (trial: LoggedTrial, again: boolean) => {
    const stop = new AbortController();
    const signal = AbortSignal.any([opts.signal, stop.signal]);
    let pruned: string | undefined;
    const before = { state: trial.state, objective: trial.objective };
    // A replayed finished trial keeps its place in the history while it comes back from the store.
    if (trial.state !== 'done') trial.state = 'running';
    trial.intermediate = [];
    opts.onTrial?.(trial, 'started', again);
    const onObjective = (point: IntermediateValue) => {
      trial.intermediate!.push(point);
      if (!opts.pruner || pruned || stop.signal.aborted) return;
      const decision = opts.pruner.decide({ assignment: trial.assignment, state: 'running', intermediate: trial.intermediate }, history());
      if (decision.prune) { pruned = decision.reason; stop.abort(); }
    };
    const p = opts.runTrial(trial, { signal, onObjective }).then((run) => {
      trial.runId = run.runId;
      if (run.stopSearch) stopped = true;
      if (run.tracking) trial.tracking = run.tracking;
      trial.intermediate = run.intermediate.length ? run.intermediate : trial.intermediate;
      if (run.outcome === 'cancelled' && pruned) { trial.state = 'pruned'; trial.note = pruned; trial.objective = undefined; } else if (run.outcome === 'cancelled') { Object.assign(trial, before); if (before.state !== 'done') trial.state = 'running'; } else if (run.outcome === 'done') { trial.state = 'done'; trial.objective = run.objective; trial.note = undefined; } else { trial.state = 'failed'; trial.objective = undefined; trial.note = run.note; }
      opts.onTrial?.(trial, 'ended', again);
    }).finally(() => {
      inFlight.delete(trial);
      opts.save(trials);
    });
    inFlight.set(trial, p);
  };

  for (;;) {
    while (!opts.signal.aborted && !stopped && inFlight.size < opts.parallel) {
      const again = replay.shift();
      if (again) { start(again, true); continue; }
      // One at a time, the trials in flight included: each proposal sees the ones before it.
      const [proposed] = opts.sampler.propose(history(), 1);
      if (!proposed) break;
      const assignment = roundAssignment(opts.space, proposed);
      const trial: LoggedTrial = { number: trials.length, label: opts.label(assignment), assignment, state: 'running' };
      trials.push(trial);
      opts.save(trials);
      start(trial, false);
    }
    if (!inFlight.size) break;
    await Promise.race(inFlight.values());
  }
  return trials;
}
