// `retort run` on an adaptive search: each trial is a run of its own (its own record and MLflow
// parent run) against the same store, so the nodes trials share are hits or run once under their
// lease; the driver proposes trials as results arrive and stops the ones the pruner gives up on.
import { cpus } from 'node:os';
import { Writable } from 'node:stream';
import { planRecipe } from '../../graph/plan.js';
import { createDisplay } from '../../exec/display.js';
import { displaySubscriber } from '../../exec/display-subscriber.js';
import type { RunSubscriber } from '../../exec/events.js';
import { cancelOnInterrupt } from '../../exec/interrupts.js';
import { runPlan } from '../../exec/run-plan.js';
import type { ReplayMode } from '../../exec/scheduler.js';
import { failureMessage } from '../../exec/failure.js';
import { trackingSubscriber } from '../../exec/tracking-subscriber.js';
import { RecipeError, formatLocation } from '../../recipe/diagnostic.js';
import type { Store } from '../../store/store.js';
import type { MetricPoint } from '../../track/observer.js';
import { closest } from '../../util/suggest.js';
import { driveSearch, type TrialHooks, type TrialRun } from '../../sweep/adaptive/driver.js';
import type { AdaptiveSweep } from '../../sweep/adaptive/prepare-search.js';
import { makePruner, makeSampler } from '../../sweep/adaptive/sampler-of.js';
import { readSearchLog, writeSearchLog, type LoggedTrial } from '../../sweep/adaptive/search-log.js';
import { searchReport } from '../../sweep/adaptive/summary.js';
import type { IntermediateValue } from '../../sweep/search/sampler.js';
import { EXIT, type CliIO } from '../command.js';
import { makeExecutor, type ExecutorType } from '../executor-choice.js';
import { createRunObserver, openTracking } from '../tracking.js';
import type { RunObserver, TrackConfig, TrackingRef } from '../../track/observer.js';
import { NoopObserver } from '../../track/noop-observer.js';
import { newRunId } from './run.js';

export interface SearchRunOptions {
  sweep: AdaptiveSweep;
  store: Store;
  runsDir: string;
  argv: string[];
  /** The fixed -S overrides. */
  overrides: string[];
  track: TrackConfig;
  executor: ExecutorType;
  jobs?: number;
  gpus: string[];
  keepGoing?: boolean;
  quiet?: boolean;
  plain?: boolean;
  replayLogs: ReplayMode;
  /** Mark each display line with its trial (several trials in flight). */
  prefixLines?: boolean;
  /** The recipe's name (the MLflow run names). */
  recipeName: string;
  /** The search's own MLflow run, which trials nest under. */
  searchRun?: TrackingRef;
}

/** The objective's final value: the point of the largest step (the last reported among equals). */
export function finalValue(points: readonly MetricPoint[], name: string): number | undefined {
  let best: MetricPoint | undefined;
  for (const p of points) if (p.name === name && (!best || p.step >= best.step)) best = p;
  return best?.value;
}

export async function runSearch(opts: SearchRunOptions, io: CliIO): Promise<number> {
  const { sweep, runsDir } = opts;
  const { stage, metric } = sweep.spec.objective;
  const jobs = Math.max(1, opts.jobs ?? cpus().length);
  const parallel = sweep.spec.parallel ?? jobs;
  // The run's node slots are shared out among the trials in flight.
  const jobsPerTrial = Math.max(1, Math.floor(jobs / parallel));
  const say = (line: string) => io.stdout.write(line + '\n');

  const last = readSearchLog(runsDir, sweep.file);
  const logged = last?.sweep === sweep.id ? last.trials.slice(0, sweep.spec.budget) : [];
  if (last && last.sweep !== sweep.id) say(`the search changed since its last run (${last.updatedAt}): a new search; the ${last.trials.length} trials of the last one stay in the store`);
  else if (logged.length) say(`resuming search ${sweep.id}: ${logged.length} logged trials (finished ones come back from the store)`);
  say(`search ${sweep.id}: ${sweep.summary.sampler} towards ${stage}/${metric} (${sweep.spec.objective.direction}), budget ${sweep.spec.budget}, ${parallel} in flight, ${jobsPerTrial} node slot${jobsPerTrial === 1 ? '' : 's'} each`);
  const save = (trials: readonly LoggedTrial[]) => writeSearchLog(runsDir, { sweep: sweep.id, recipe: sweep.file, updatedAt: '', search: sweep.summary, trials: [...trials] });
  save(logged);

  const controller = new AbortController();
  const stopListening = cancelOnInterrupt(controller, (line) => say(line), () => process.exit(EXIT.interrupted));
  let failedTrials = 0;
  // With tracking, the search is an MLflow run of its own: its settings as params, each trial's objective as a metric (step: the trial's number).
  const searchObserver = opts.track.enabled ? await createRunObserver(opts.track, { runsDir, env: io.env, warn: (msg) => say(`warning: ${msg}`) }) : undefined;
  const { objective, space, ...settings } = sweep.summary;
  await searchObserver?.runStarted({
    runId: newRunId(), recipe: sweep.file, recipeName: opts.recipeName, startedAt: Date.now(), argv: opts.argv, cwd: io.cwd,
    track: { ...opts.track, tags: { ...opts.track.tags, 'retort.search': sweep.id } }, overrides: opts.overrides,
    params: {
      ...Object.fromEntries(Object.entries(settings).map(([k, v]) => [`search.${k}`, typeof v === 'string' ? v : JSON.stringify(v)])),
      'search.objective': `${objective.metric} (${objective.direction})`, 'search.parallel': String(parallel),
      ...Object.fromEntries(Object.entries(space).map(([path, dim]) => [`search.space.${path}`, JSON.stringify(dim)])),
    },
  });
  const searchRun = searchObserver?.runRef?.();
  const runTrial = (trial: LoggedTrial, hooks: TrialHooks) => runOneTrial(trial, hooks,
    { ...opts, jobs: jobsPerTrial, plain: opts.plain || parallel > 1, prefixLines: parallel > 1, searchRun }, io, searchObserver);
  let trials: LoggedTrial[] = [];
  try {
    trials = await driveSearch({
      space: sweep.space, sampler: makeSampler(sweep.spec, sweep.space), pruner: makePruner(sweep.spec), parallel, logged,
      signal: controller.signal, label: sweep.label, runTrial, save,
      onTrial: (t, event, again) => {
        if (event === 'started') { say(`trial ${t.number} ${t.label}: ${again ? 'again' : 'started'}`); return; }
        if (t.state === 'failed') failedTrials++;
        if (t.state === 'done' && t.objective !== undefined) void searchObserver?.runMetrics?.([{ name: 'objective', value: t.objective, step: t.number, timestamp: Date.now() }]);
        const what = t.state === 'done' ? `${stage}/${metric} = ${t.objective}` : t.state === 'pruned' ? `pruned (${t.note})` : t.state === 'failed' ? `failed: ${t.note}` : 'interrupted';
        say(`trial ${t.number} ${t.label}: ${what}`);
      },
    });
  } finally {
    stopListening();
    if (searchObserver) {
      const n = (state: string) => trials.filter((t) => t.state === state).length;
      const status = controller.signal.aborted ? 'cancelled' : n('failed') ? 'failed' : 'ok';
      await searchObserver.runFinished({ status, hits: 0, ran: n('done') + n('pruned'), failed: n('failed'), endedAt: Date.now() });
      await searchObserver.close();
    }
  }
  say('');
  for (const line of searchReport(sweep.id, sweep.summary, trials)) say(line);
  const stoppedBy = trials.find((t) => t.state === 'failed' && /recorded no metric/.test(t.note ?? ''));
  if (stoppedBy) io.stderr.write(`error: the search stopped: ${stoppedBy.note}; every trial would fail the same way\n`);
  if (controller.signal.aborted) return EXIT.interrupted;
  return failedTrials ? EXIT.failed : EXIT.ok;
}

/** One trial: its recipe compiled with its values, planned against the store, and run. */
async function runOneTrial(trial: LoggedTrial, hooks: TrialHooks, opts: SearchRunOptions,
  io: CliIO, searchObserver: RunObserver | undefined): Promise<TrialRun> {
  const { sweep, store, runsDir } = opts;
  const { stage, metric } = sweep.spec.objective;
  const runId = newRunId();
  let compiled;
  try {
    compiled = await sweep.compileTrial(trial.assignment);
  } catch (err) {
    if (!(err instanceof RecipeError)) throw err;
    const d = err.diagnostics[0];
    return { outcome: 'failed', intermediate: [], runId, note: d ? `${formatLocation(d.location, io.cwd)}: ${d.message}` : err.message };
  }
  const { recipe, keys } = compiled;
  const objectiveNode = recipe.stages.get(stage)?.[0]; // the objective's stage is checked to have one node
  const plan = await planRecipe(recipe, keys, store, { explainMisses: false, verify: 'stat' });
  const intermediate: IntermediateValue[] = [];
  const watcher: RunSubscriber = {
    name: 'search objective',
    handle(event) {
      if (event.type !== 'node-metric' || event.node.id !== objectiveNode || event.point.name !== metric) return;
      const point = { step: event.point.step, value: event.point.value };
      intermediate.push(point);
      hooks.onObjective(point);
    },
  };
  // Trials in flight together write plain lines, each marked with its trial.
  const out = opts.plain && opts.prefixLines ? prefixed(io.stdout, `t${trial.number} `) : io.stdout;
  const display = createDisplay(out, { quiet: opts.quiet, tty: opts.plain ? false : undefined });
  const tracking = await openTracking(opts.track, { runsDir, env: io.env, warn: (msg) => display.message(`warning: ${msg}`) });
  // A trial that comes back whole from the store is linked to its MLflow run, not logged again.
  const earlierRun = trial.tracking?.mlflowRunId;
  const linked = Boolean(opts.searchRun && earlierRun && plan.order.every((id) => plan.nodes.get(id)!.status === 'hit'));
  if (linked && earlierRun) await searchObserver?.runTags?.({ [`retort.trial.${trial.number}`]: earlierRun });
  const observer: RunObserver = linked ? new NoopObserver() : nested(tracking.observer, opts.searchRun);
  const trialOverrides = Object.entries(trial.assignment).map(([path, value]) => `${path}=${typeof value === 'string' ? value : JSON.stringify(value)}`);
  const run = await runPlan({
    runId, recipe, plan, store, runsDir, argv: opts.argv, overrides: [...opts.overrides, ...trialOverrides], cwd: io.cwd, env: io.env,
    track: opts.track, trackingTarget: tracking.target,
    jobs: opts.jobs, gpus: opts.gpus, keepGoing: opts.keepGoing, replayLogs: opts.replayLogs,
    signal: hooks.signal,
    executor: await makeExecutor(opts.executor, { recipe, store, runsDir, runId, cwd: io.cwd, env: io.env }),
    subscribers: [displaySubscriber(display), trackingSubscriber(observer), watcher],
    closeKilledRun: tracking.closeKilledRun,
  });
  const ref = linked ? undefined : observer.runRef?.();
  if (run.status === 'cancelled' || hooks.signal.aborted) return { outcome: 'cancelled', intermediate, runId, tracking: ref };
  const report = objectiveNode === undefined ? undefined : run.nodes.get(objectiveNode);
  if (!report || (report.outcome !== 'ran' && report.outcome !== 'hit')) {
    const failed = [...run.nodes.values()].find((r) => r.outcome === 'failed');
    return { outcome: 'failed', intermediate, runId, tracking: ref, note: failed?.failure ? `${failed.id}: ${failureMessage(failed.failure)}` : `${objectiveNode ?? stage} did not run` };
  }
  const points = report.metrics.filter((p) => p.name === metric).map((p) => ({ step: p.step, value: p.value }));
  const objective = finalValue(report.metrics, metric);
  if (objective === undefined) {
    const recorded = [...new Set(report.metrics.map((p) => p.name))];
    const guess = closest(metric, recorded);
    return { outcome: 'failed', intermediate: points, runId, tracking: ref, stopSearch: true, note: `${objectiveNode} recorded no metric '${metric}'${guess ? `; did you mean '${guess}'?` : ''} (recorded: ${recorded.join(', ') || 'none'})` };
  }
  return { outcome: 'done', objective, intermediate: points, runId, tracking: ref };
}

/** A stream that writes each line to `out` with `prefix` before it. */
function prefixed(out: NodeJS.WritableStream, prefix: string): NodeJS.WritableStream {
  let pending = '';
  return new Writable({
    write(chunk: Buffer | string, _encoding, done) {
      pending += chunk.toString();
      const lines = pending.split('\n');
      pending = lines.pop()!;
      if (lines.length) out.write(lines.map((l) => prefix + l + '\n').join(''));
      done();
    },
  });
}

/** The trial's tracker, its run nested under the search's run; it keeps the run's reference past close. */
function nested(inner: RunObserver, parentRef: TrackingRef | undefined): RunObserver {
  let ref: TrackingRef | undefined;
  return {
    async runStarted(run) { await inner.runStarted({ ...run, parentRef }); ref = inner.runRef?.(); },
    nodeStarted: (node) => inner.nodeStarted(node),
    nodeMetric: (node, point) => inner.nodeMetric(node, point),
    nodeFinished: (node, result) => inner.nodeFinished(node, result),
    nodeCached: (node, producedBy, metrics) => inner.nodeCached(node, producedBy, metrics),
    runFinished: (summary) => inner.runFinished(summary),
    runArtifacts: inner.runArtifacts && ((files) => inner.runArtifacts!(files)),
    close: () => inner.close(),
    runRef: () => ref,
  };
}
