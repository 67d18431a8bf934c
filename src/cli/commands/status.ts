import { collectTableRows } from '../../report/collect.js';
import { renderTables } from '../../report/render.js';
import { planRecipe, type Plan } from '../../graph/plan.js';
import type { CompiledRecipe } from '../../graph/types.js';
import { SlurmClient } from '../../exec/slurm/client.js';
import { jobFiles } from '../../exec/slurm/executor.js';
import { readJobResult, type JobResult } from '../../exec/slurm/job-spec.js';
import { describeState, type JobState } from '../../exec/slurm/states.js';
import { failureMessage } from '../../exec/failure.js';
import { writeRunRecord, type NodeOutcome, type RunRecord, type RunRecordNode } from '../../store/runs.js';
import { Store } from '../../store/store.js';
import { claimTracking, readDetachedTracking, type DetachedTracking } from '../../exec/slurm/detached-tracking.js';
import { replayDetachedRun, type SettledJob } from '../../exec/slurm/detached-replay.js';
import { trackingSubscriber } from '../../exec/tracking-subscriber.js';
import { tableArtifacts, withTableArtifacts } from '../../report/mlflow-artifacts.js';
import { sweepTrackingOf } from '../../sweep/tracking.js';
import type { TrackConfig } from '../../track/observer.js';
import { createRunObserver, pendingSpoolWarning, trackingTarget } from '../tracking.js';
import { prepareRecipeOrSweep } from '../../sweep/prepare.js';
import type { MetricPoint } from '../../track/observer.js';
import { parse } from '../args.js';
import { EXIT, type CliCommand, type CliIO } from '../command.js';
import { findRun } from '../run-lookup.js';
import { openStore, runsDirOf } from '../session.js';
import type { NodeId } from '../../util/ids.js';

export const command: CliCommand = {
  name: 'status',
  summary: "show a run's nodes and their Slurm jobs; --follow follows a detached run to its end",
  help: `Usage: retort status <run-id|prefix|last> [--follow] [--runs-dir DIR]

Shows every node of a run: its outcome, or for a detached Slurm run
(\`retort run --executor slurm --detach\`) its job and the job's state, with
Slurm's reason while it is queued. From any machine that sees the run's folder
and the cluster.

Options:
      --follow           follow a detached run until every job has ended, then print
                         the summary, the failures and the tables as \`retort run\`
                         does, log the run in MLflow as \`retort run\` would have
                         (unless it was submitted with --no-track), and settle the
                         run record
      --runs-dir DIR     where the store and run records live (default: ./runs)

Exit codes: 0 shown (or followed to a successful end), 1 a followed node failed,
2 no such run.`,
  run: statusCommand,
};

/** What became of a detached node, as far as its job and result file tell. */
type NodeView = { job: string; state: JobState | undefined; outcome?: NodeOutcome; detail?: string; result?: JobResult };

async function statusCommand(args: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parse(args, { 'runs-dir': { type: 'string' }, help: { type: 'boolean', short: 'h' }, follow: { type: 'boolean', short: 'f' } }, { min: 1, max: 1, names: 'a run id' });
  if (values.help) { io.stdout.write(command.help + '\n'); return EXIT.ok; }
  const runsDir = runsDirOf(values['runs-dir'], io);
  const record = await findRun(runsDir, positionals[0]);
  if (record.status !== 'detached' || !record.slurm) {
    io.stdout.write(`run ${record.runId}  ${record.status}  ${record.recipeName}\n`);
    for (const n of record.nodes) io.stdout.write(`  ${n.outcome.padEnd(9)} ${n.id}${n.job ? `  job ${n.job}` : ''}${n.error ? `  ${n.error}` : ''}\n`);
    return EXIT.ok;
  }
  const slurm = record.slurm;
  const client = new SlurmClient({ env: io.env });
  const jobs = [...new Set(record.nodes.flatMap((n) => (n.job ? [n.job] : [])))];
  const views = new Map<NodeId, NodeView>();
  /** One squeue for every job still open; each node's state, and its outcome once its job ended. */
  const refresh = async (): Promise<boolean> => {
    const open = jobs.filter((j) => ![...views.values()].some((v) => v.job === j && v.outcome));
    const listed = new Map((await client.status(open)).map((s) => [s.submittedId, s.state]));
    let changed = false;
    for (const n of record.nodes) {
      if (!n.job || views.get(n.id)?.outcome) continue;
      // Nodes of one key share their first node's job, and its files.
      const lead = record.nodes.find((m) => m.job === n.job)!;
      const view = await viewOf(lead, listed.get(n.job), slurm.dir);
      const before = views.get(n.id);
      if (!before || JSON.stringify(before.state) !== JSON.stringify(view.state) || before.outcome !== view.outcome) {
        changed = true;
        if (values.follow && before) io.stdout.write(transition(n.id, view) + '\n');
      }
      views.set(n.id, view);
    }
    return changed;
  };
  await refresh();
  io.stdout.write(`run ${record.runId}  detached  ${record.recipeName}  (${jobs.length} Slurm job${jobs.length === 1 ? '' : 's'})\n`);
  for (const n of record.nodes) io.stdout.write(line(n, views.get(n.id)) + '\n');
  if (!values.follow) return EXIT.ok;

  // Poll fast while things change, slower while nothing does.
  let interval = 500;
  while (record.nodes.some((n) => n.job && !views.get(n.id)?.outcome)) {
    await new Promise((r) => setTimeout(r, interval));
    interval = (await refresh()) ? 500 : Math.min(5000, interval * 1.5);
  }
  return settle(record, views, runsDir, io);
}

async function viewOf(n: RunRecordNode, state: JobState | undefined, dir: string): Promise<NodeView> {
  const job = n.job!;
  const result = await readJobResult(jobFiles(dir, n).result).catch(() => undefined);
  // A result is written when the job's program ends; Slurm's verdict settles the rest.
  if (result && (!state || state.phase === 'ended')) {
    if (result.outcome === 'ran' || result.outcome === 'hit') return { job, state, outcome: result.outcome, result };
    return { job, state, outcome: result.outcome === 'cancelled' ? 'cancelled' : 'failed', detail: result.failure ? failureMessage(result.failure) : result.error, result };
  }
  if (!state) return { job, state: { phase: 'ended', verdict: 'UNKNOWN' }, outcome: 'failed', detail: 'Slurm no longer lists the job and it left no result' };
  if (state.phase !== 'ended') return { job, state };
  if (state.verdict === 'CANCELLED' && state.reason === 'DependencyNeverSatisfied') return { job, state, outcome: 'skipped', detail: 'a job it waited for failed' };
  if (state.verdict === 'CANCELLED') return { job, state, outcome: 'cancelled' };
  return { job, state, outcome: 'failed', detail: `Slurm job ${job} ended ${describeState(state)}; see ${jobFiles(dir, n).log}` };
}

function line(n: RunRecordNode, view: NodeView | undefined): string {
  if (!view) return `  ${n.outcome.padEnd(9)} ${n.id}`;
  const what = view.outcome ?? (view.state ? describeState(view.state) : 'unknown');
  return `  ${what.padEnd(view.outcome ? 9 : 22)} ${n.id}  job ${view.job}${view.detail ? `  ${view.detail}` : ''}`;
}

function transition(id: NodeId, view: NodeView): string {
  if (view.outcome) return `[${view.outcome}] ${id}${view.detail ? `: ${view.detail}` : ''}`;
  if (view.state?.phase === 'running') return `[start] ${id}`;
  return `[queued] ${id}: ${view.state?.phase === 'pending' ? view.state.reason : 'unknown'}`;
}

/** The run's end, as `retort run` prints it; the run tracked in MLflow as `retort run` would have, then its record settled. */
async function settle(record: RunRecord, views: Map<NodeId, NodeView>, runsDir: string, io: CliIO): Promise<number> {
  const nodes: RunRecordNode[] = record.nodes.map((n) => {
    const v = views.get(n.id);
    if (!v?.outcome) return n;
    const durationMs = v.result && v.outcome === 'ran' ? v.result.endedAt - v.result.startedAt : undefined;
    return { ...n, outcome: v.outcome, ...(durationMs === undefined ? {} : { durationMs }), ...(v.detail && v.outcome !== 'ran' && v.outcome !== 'hit' ? { error: v.detail } : {}) };
  });
  const failed = nodes.some((n) => n.outcome === 'failed' || n.outcome === 'skipped' || n.outcome === 'cancelled');
  const endedAt = Math.max(record.startedAt, ...[...views.values()].map((v) => v.result?.endedAt ?? 0));
  const settled: RunRecord = { ...record, nodes, status: failed ? 'failed' : 'ok', endedAt };
  const replanned = once(() => replan(record, runsDir, io));
  // Tracked before the record settles: a settled record is a run that was logged (or spooled).
  await trackSettledRun(record, settled, views, replanned, runsDir, io);
  await writeRunRecord(runsDir, settled);
  const count = (o: NodeOutcome) => nodes.filter((n) => n.outcome === o).length;
  const c = { ran: count('ran'), hit: count('hit'), failed: count('failed'), skipped: count('skipped'), cancelled: count('cancelled') };
  io.stdout.write(`${c.ran} ran, ${c.hit} cached, ${c.failed} failed${c.skipped ? `, ${c.skipped} skipped` : ''}${c.cancelled ? `, ${c.cancelled} cancelled` : ''} in ${((endedAt - record.startedAt) / 1000).toFixed(1)}s (run ${record.runId})\n`);
  for (const n of nodes) if (n.outcome === 'failed') io.stderr.write(`failed: ${n.id}: ${n.error ?? 'unknown error'}\n`);
  if (!failed) await printTables(record, views, await replanned(), io);
  return failed ? EXIT.failed : EXIT.ok;
}

/**
 * Logs the settled run in MLflow where and as the run was to be tracked when it was submitted, by
 * replaying it to the tracker `retort run` uses; once per run, whoever settles it. Problems are
 * warnings: the record settles all the same.
 */
async function trackSettledRun(record: RunRecord, settled: RunRecord, views: Map<NodeId, NodeView>, replanned: () => Promise<Replanned>,
  runsDir: string, io: CliIO): Promise<void> {
  const warn = (msg: string) => io.stderr.write(`warning: ${msg}\n`);
  const slurm = record.slurm!;
  const snapshot = await readDetachedTracking(slurm.dir);
  if ('problem' in snapshot) { warn(`run ${record.runId} is not tracked in MLflow: ${snapshot.problem}`); return; }
  if (!snapshot.track.enabled || !(await claimTracking(slurm.dir))) return;
  try {
    const track = await submittedTrack(snapshot, runsDir, io.env, warn);
    let clock = record.startedAt;
    const tracker = await createRunObserver(track, { runsDir, env: io.env, warn, now: () => clock });
    const observer = snapshot.sweep ? sweepTrackingOf(tracker, snapshot.sweep, runsDir) : tracker;
    const jobs = new Map<string, SettledJob>();
    for (const n of record.nodes) {
      const v = views.get(n.id);
      if (!n.job || jobs.has(n.job)) continue;
      jobs.set(n.job, {
        ...(v?.result ? { result: v.result } : {}), ...(v?.state ? { state: v.state } : {}), ...(v?.detail ? { detail: v.detail } : {}),
        log: jobFiles(slurm.dir, n).log,
      });
    }
    const store = await Store.open(slurm.store);
    const tables = async () => {
      const r = await replanned();
      if ('problem' in r) throw new Error(`no tables logged: the recipe could not be planned again (${r.problem})`);
      return tableArtifacts(r.recipe, r.plan, r.store);
    };
    await replayDetachedRun({
      record, outcomes: new Map(settled.nodes.map((n) => [n.id, n.outcome])), jobs, snapshot: { ...snapshot, track },
      status: settled.status as 'ok' | 'failed', endedAt: settled.endedAt!, entryDir: (key) => store.entryDir(key),
      tracking: withTableArtifacts(trackingSubscriber(observer), observer, tables), setClock: (ms) => { clock = ms; },
    });
  } catch (err) {
    warn(`tracking: ${(err as Error).message}`);
  }
  const spooled = await pendingSpoolWarning(runsDir).catch(() => undefined);
  if (spooled) warn(spooled);
}

/** The tracking settings the run was submitted with; where it was to log wins over this machine's MLFLOW_TRACKING_URI. */
async function submittedTrack(snapshot: DetachedTracking, runsDir: string, env: NodeJS.ProcessEnv, warn: (msg: string) => void): Promise<TrackConfig> {
  const here = await trackingTarget(snapshot.track, runsDir, env);
  if (!snapshot.target || here === snapshot.target) return snapshot.track;
  warn(`MLflow: logging to ${snapshot.target}, where the run was to be tracked when it was submitted (here it would go to ${here ?? 'nowhere'})`);
  return { ...snapshot.track, uri: snapshot.target };
}

type Replanned = { recipe: CompiledRecipe; plan: Plan; store: Store } | { problem: string };

/** The recipe planned again from the file and overrides the run was started with (for its tables). */
async function replan(record: RunRecord, runsDir: string, io: CliIO): Promise<Replanned> {
  try {
    const sweep = record.argv.includes('-m') || record.argv.includes('--sweep');
    const { recipe, keys } = await prepareRecipeOrSweep(record.recipe, record.overrides ?? [], sweep, runsDir, io);
    const store = await openStore(runsDir);
    return { recipe, plan: await planRecipe(recipe, keys, store, { explainMisses: false, verify: 'stat' }), store };
  } catch (err) {
    return { problem: (err as Error).message };
  }
}

function once<T>(make: () => Promise<T>): () => Promise<T> {
  let made: Promise<T> | undefined;
  return () => (made ??= make());
}

/** The recipe's tables over the run's nodes. */
async function printTables(record: RunRecord, views: Map<NodeId, NodeView>, replanned: Replanned, io: CliIO): Promise<void> {
  if ('problem' in replanned) {
    io.stderr.write(`warning: no tables: the recipe could not be planned again (${replanned.problem})\n`);
    return;
  }
  const { recipe, plan, store } = replanned;
  if (!recipe.tables.length) return;
  try {
    const outcomes = new Map<NodeId, { outcome: string; metrics: MetricPoint[] }>();
    for (const n of record.nodes) {
      const v = views.get(n.id);
      const stored = plan.nodes.get(n.id)?.manifest;
      outcomes.set(n.id, { outcome: v?.outcome ?? n.outcome, metrics: v?.result?.metrics ?? stored?.metrics ?? [] });
    }
    io.stdout.write('\n' + renderTables(recipe.tables, await collectTableRows(recipe, plan, store, outcomes), 'markdown') + '\n');
  } catch (err) {
    io.stderr.write(`warning: no tables: ${(err as Error).message}\n`);
  }
}
