// A run of a plan, start to end: closes runs whose process died, opens the run record, tells every
// subscriber what happens (display, tracker, record: one stream of events), executes the plan with
// the given executor, and settles the counts once. The CLI parses options and wires; this decides.
import type { Plan } from '../graph/plan.js';
import type { CompiledRecipe } from '../graph/types.js';
import { emptyCounts, type OutcomeCounts, type RunSubscriber, type RunTotals } from './events.js';
import type { AnyExecutor } from './executor.js';
import { EventFanOut } from './fan-out.js';
import { executePlan, type NodeReport, type ReplayMode } from './scheduler.js';
import { reapKilledRuns, type RunningMarker, type RunStatus } from '../store/runs.js';
import type { Store } from '../store/store.js';
import type { TrackConfig } from '../track/observer.js';
import { recordSubscriber } from './record-subscriber.js';
import type { NodeId } from '../util/ids.js';

export type KilledRun = RunningMarker & { endedAt: number };

export interface RunRequest {
  runId: string;
  recipe: CompiledRecipe;
  plan: Plan;
  store: Store;
  runsDir: string;
  /** The command line as the run record and the tracker keep it, and its `-S` overrides. */
  argv: string[];
  overrides: string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  track: TrackConfig;
  /** Where the tracker logs (credentials removed): kept in the run's marker. */
  trackingTarget?: string;
  /** With --target: the nodes this run is about (others are neither counted nor reported). */
  scope?: ReadonlySet<NodeId>;
  jobs?: number;
  gpus?: string[];
  keepGoing?: boolean;
  replayLogs: ReplayMode;
  signal: AbortSignal;
  /** Runs nodes here, or submits them to a cluster ahead of their upstream jobs' ends. */
  executor: AnyExecutor;
  /** Everyone who hears about the run besides its record: the display, the tracker… */
  subscribers: RunSubscriber[];
  /** Closes the tracker's runs of a run whose process died; how many it changed, if it could tell. */
  closeKilledRun?: (killed: KilledRun) => Promise<number | undefined>;
  startedAt?: number;
}

export interface RunResult {
  runId: string;
  status: RunStatus;
  counts: OutcomeCounts;
  startedAt: number;
  endedAt: number;
  nodes: Map<NodeId, NodeReport>;
}

export async function runPlan(req: RunRequest): Promise<RunResult> {
  const { plan, recipe } = req;
  const startedAt = req.startedAt ?? Date.now();
  const events: EventFanOut = new EventFanOut([
    recordSubscriber({
      runsDir: req.runsDir,
      record: { runId: req.runId, recipe: recipe.file, recipeName: recipe.name, argv: req.argv, startedAt, overrides: req.overrides },
      tracking: { trackingUri: req.trackingTarget, experiment: req.track.experiment || recipe.name },
      // Its 'running' form protects the entries the run reads from a gc: inputs of nodes to run, the tables' cells.
      runningRecord: recipe.tables.length > 0 || plan.order.some((id) => plan.nodes.get(id)!.run),
    }),
    ...req.subscribers,
  ], (name, event, err) => {
    // A subscriber failing on a warning would only fail again on the next one.
    if (event !== 'close' && event.type === 'warning') return;
    events.post({ type: 'warning', message: `${name}: ${(err as Error)?.message ?? String(err)}` });
  });
  const warn = (message: string) => events.emit({ type: 'warning', message });

  let finished = false;
  const finish = async (status: RunStatus, counts: OutcomeCounts): Promise<number> => {
    const endedAt = Date.now();
    finished = true;
    try {
      await events.emit({ type: 'run-finished', status, counts, startedAt, endedAt });
    } finally {
      // Trackers must close their runs and spool journals even when the run failed.
      await events.close();
    }
    return endedAt;
  };

  try {
    // Runs whose process died (SIGKILL, power loss) are closed first: their record and tracked runs say so.
    for (const killed of await reapKilledRuns(req.runsDir)) {
      const closed = await req.closeKilledRun?.(killed);
      await warn(`run ${killed.runId} ended without finishing (its process ${killed.pid} is gone): marked killed${closed ? ` with its ${closed} MLflow run${closed === 1 ? '' : 's'}` : ''}`);
    }
    await events.emit({ type: 'run-planned', runId: req.runId, nodes: plan.order.map((id) => ({ id, stage: plan.nodes.get(id)!.spec.stage, key: plan.nodes.get(id)!.key })) });

    await events.emit({
      type: 'run-started',
      run: { runId: req.runId, recipe: recipe.file, recipeName: recipe.name, startedAt,
        argv: req.argv, cwd: req.cwd, track: req.track, vars: recipe.vars, overrides: req.overrides },
      totals: totalsOf(plan, req.scope),
    });
    // As `plan` does: an entry that no longer matched its manifest was set aside and is recomputed.
    for (const id of plan.order) {
      const node = plan.nodes.get(id)!;
      if (node.run && node.reason?.kind === 'corrupt') await warn(`${id}: ${node.reason.detail}`);
    }

    const result = await executePlan(plan, {
      store: req.store, runId: req.runId, recipeName: recipe.name, jobs: req.jobs, gpus: req.gpus, keepGoing: req.keepGoing,
      signal: req.signal, executor: req.executor, events, env: req.env, scope: req.scope, replayLogs: req.replayLogs,
    });
    const counts = countOutcomes(result.outcomes.values());
    const endedAt = await finish(result.status, counts);
    return { runId: req.runId, status: result.status, counts, startedAt, endedAt, nodes: result.outcomes };
  } catch (err) {
    // The record must not stay 'running' (a gc would protect the run's entries for a week).
    if (!finished) await finish('failed', emptyCounts()).catch(() => undefined);
    throw err;
  }
}

/** The nodes the run settles (all, or those in --target's scope), its hits and its nodes to run: one pass. */
function totalsOf(plan: Plan, scope: ReadonlySet<NodeId> | undefined): RunTotals {
  const totals: RunTotals = { toRun: 0, hits: 0, nodes: 0 };
  for (const n of plan.nodes.values()) {
    if (scope && !scope.has(n.spec.id)) continue;
    totals.nodes++;
    if (n.run) totals.toRun++;
    if (n.status === 'hit') totals.hits++;
  }
  return totals;
}

export function countOutcomes(reports: Iterable<NodeReport>): OutcomeCounts {
  const counts = emptyCounts();
  for (const r of reports) counts[r.outcome]++;
  return counts;
}

