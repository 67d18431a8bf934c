import { randomBytes } from 'node:crypto';
import { planRecipe } from '../../graph/plan.js';
import { createDisplay } from '../../exec/display.js';
import { REPLAY_TAIL_LINES, type ReplayMode } from '../../exec/scheduler.js';
import { gpuPool, gpuRequestProblem } from '../../exec/gpus.js';
import { displaySubscriber } from '../../exec/display-subscriber.js';
import { cancelOnInterrupt } from '../../exec/interrupts.js';
import { runPlan, type RunResult } from '../../exec/run-plan.js';
import { failureLines, summaryLine } from '../../exec/run-summary.js';
import { trackingSubscriber } from '../../exec/tracking-subscriber.js';
import { tableArtifacts, withTableArtifacts } from '../../report/mlflow-artifacts.js';
import { openTracking, trackConfigOf, trackingTarget } from '../tracking.js';
import { intOption, parse, RECIPE_OPTIONS, SWEEP_OPTION, UsageError } from '../args.js';
import { recordSweep, sweepChanges } from '../../sweep/changes.js';
import { prepareCached } from '../prepare-cached.js';
import { sweepSummary } from '../../sweep/view.js';
import type { SweepTrackingData } from '../../sweep/tracking.js';
import { EXIT, type CliCommand, type CliIO } from '../command.js';
import { openStore, runsDirOf, selectedNodes, targetClosure, useCaches } from '../session.js';
import { executorType, makeExecutor, slurmDefaults } from '../executor-choice.js';
import { join } from 'node:path';
import type { Plan } from '../../graph/plan.js';
import type { CompiledRecipe } from '../../graph/types.js';
import type { NodeId } from '../../util/ids.js';
import type { Store } from '../../store/store.js';
import { writeRunRecord, type RunRecord } from '../../store/runs.js';
import type { DetachedSubmission } from '../../exec/slurm/detach.js';
import type { NodeExecutor } from '../../exec/executor.js';
import type { TrackConfig } from '../../track/observer.js';

export const command: CliCommand = {
  name: 'run',
  summary: 'run a recipe: compute what is not cached, then print its report',
  help: `Usage: retort run <recipe.yaml> [options]

Compiles the recipe, looks every node up in the store, and runs the misses
(each node in its own process, or each as a Slurm job). A second run with
nothing changed runs nothing.

Options:
  -S, --set path=value   override a recipe value (vars.x=1, stages.s.params.p=2); repeatable
  -m, --sweep            comma lists of -S values are sweep axes (-S vars.seed=1,2,3), crossed
                         with each other and with the recipe's sweep: block; one DAG for all trials
      --executor TYPE    local (default) or slurm: every miss an sbatch job that waits
                         (afterok) for its upstream jobs (default: the recipe's executor:)
      --detach           Slurm: submit every job, print the run id and exit; follow the
                         run later with \`retort status <run> --follow\`
      --retries N        Slurm: attempts after the first for a job that was preempted or
                         whose machine failed (default: the recipe's executor.retries, else 2)
  -j, --jobs N           nodes run at once (default: number of cores)
      --gpus N           GPUs nodes may take (resources.gpus); each gets its own in
                         CUDA_VISIBLE_DEVICES (default: those CUDA_VISIBLE_DEVICES lists, else 0)
  -k, --keep-going       after a failure, go on with the branches that do not depend on it
      --force STAGE      recompute a stage (or node id) even when cached; repeatable
      --force-all        recompute every node
      --target STAGE     run only this stage and what it needs; repeatable
      --track            log to MLflow (default: the recipe's track.enabled, else on)
      --no-track         do not log to MLflow
      --verify MODE      how hits are checked: stat (default) or full (re-hash every file)
      --quiet            do not print node logs
      --logs MODE        logs of cached nodes: tail (default: their last ${REPLAY_TAIL_LINES} lines), all, none
      --plain            plain lines even on a terminal
      --runs-dir DIR     where the store, run records and local MLflow store live (default: ./runs)

Exit codes: 0 success, 1 a node failed, 2 usage or recipe error (nothing ran), 130 interrupted.`,
  run: runCommand,
};

export function newRunId(now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return `${stamp}-${randomBytes(3).toString('hex')}`;
}

async function runCommand(args: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parse(args, {
    ...RECIPE_OPTIONS,
    ...SWEEP_OPTION,
    executor: { type: 'string' },
    retries: { type: 'string' },
    detach: { type: 'boolean' },
    jobs: { type: 'string', short: 'j' },
    gpus: { type: 'string' },
    'keep-going': { type: 'boolean', short: 'k' },
    force: { type: 'string', multiple: true },
    'force-all': { type: 'boolean' },
    target: { type: 'string', multiple: true },
    track: { type: 'boolean' },
    'no-track': { type: 'boolean' },
    verify: { type: 'string' },
    quiet: { type: 'boolean' },
    logs: { type: 'string' },
    plain: { type: 'boolean' },
  }, { min: 1, max: 1, names: 'one recipe file' });
  if (values.help) { io.stdout.write(command.help + '\n'); return EXIT.ok; }
  const jobs = intOption(values.jobs, 'jobs');
  const retries = intOption(values.retries, 'retries', 0);
  const gpus = gpuPool(intOption(values.gpus, 'gpus', 0), io.env);
  if ('error' in gpus) throw new UsageError(gpus.error);
  if (values.verify && !['stat', 'full'].includes(values.verify)) throw new UsageError(`--verify expects stat or full, got '${values.verify}'`);
  if (values.logs && !['tail', 'all', 'none'].includes(values.logs)) throw new UsageError(`--logs expects tail, all or none, got '${values.logs}'`);
  const runsDir = runsDirOf(values['runs-dir'], io);

  useCaches(runsDir, io.env);

  const cached = await prepareCached(positionals[0], values.set ?? [], values.sweep ?? false, runsDir, io);
  const { prepared } = cached;
  const { recipe, keys, hasher } = prepared;
  const chosen = executorType(values.executor, recipe);
  if (prepared.adaptive) {
    // An adaptive search: trials are compiled and run one by one as the search proposes them.
    const { runSearch } = await import('./run-search.js');
    const store = await openStore(runsDir);
    await hasher.save();
    return runSearch({
      sweep: prepared.adaptive, store, runsDir, argv: ['run', ...args], overrides: values.set ?? [], recipeName: recipe.name,
      track: trackConfigOf(recipe, { track: values.track, noTrack: values['no-track'] }), executor: chosen.type,
      jobs, gpus, keepGoing: values['keep-going'], quiet: values.quiet, plain: values.plain,
      replayLogs: values.quiet ? 'none' : (values.logs as ReplayMode | undefined) ?? 'tail',
    }, io);
  }
  const force = selectedNodes(recipe, values.force ?? [], '--force');
  const targets = selectedNodes(recipe, values.target ?? [], '--target');
  const store = await openStore(runsDir);
  await hasher.save();
  await cached.save();
  const plan = await planRecipe(recipe, keys, store, {
    force, forceAll: values['force-all'], targets,
    explainMisses: false, verify: (values.verify as 'stat' | 'full' | undefined) ?? 'stat',
  });
  const gpuProblem = gpuRequestProblem(plan, gpus.length);
  if (gpuProblem) throw new UsageError(gpuProblem);
  if (recipe.sweep) {
    // Said before anything runs: a changed spec, then what this sweep shares and has left to do.
    for (const line of [...sweepChanges(prepared), ...sweepSummary(plan)]) io.stdout.write(line + '\n');
    recordSweep(prepared);
  }

  const track = trackConfigOf(recipe, { track: values.track, noTrack: values['no-track'] });
  if (values.detach) {
    if (chosen.type !== 'slurm') throw new UsageError(`--detach needs the slurm executor (--executor slurm or the recipe's executor: slurm); this run's is ${chosen.type}`);
    const scope = targets.length ? targetClosure(recipe, targets) : undefined;
    const target = await trackingTarget(track, runsDir, io.env);
    const { sweepTrackingData } = await import('../../sweep/tracking.js');
    return detachRun({ runId: newRunId(), recipe, plan, store, runsDir, argv: ['run', ...args], overrides: values.set ?? [], io, scope, track, target,
      sweep: recipe.sweep && prepared.spec && track.enabled
        ? sweepTrackingData({ plan, spec: prepared.spec, contexts: prepared.contexts ?? new Map(), runsDir, trackingTarget: target, scope })
        : undefined });
  }

  const display = createDisplay(io.stdout, { quiet: values.quiet, tty: values.plain ? false : undefined });
  const tracking = await openTracking(track, { runsDir, env: io.env, warn: (msg) => display.message(`warning: ${msg}`) });

  const controller = new AbortController();
  const stopListening = cancelOnInterrupt(controller, (line) => display.message(line), () => process.exit(EXIT.interrupted));
  const runId = newRunId();
  const scope = targets.length ? targetClosure(recipe, targets) : undefined;
  // A sweep's tracker logs a run per trial under the sweep's run.
  const observer = recipe.sweep && prepared.spec
    ? (await import('../../sweep/tracking.js')).sweepTracking(tracking.observer, { plan, spec: prepared.spec, contexts: prepared.contexts ?? new Map(), runsDir, trackingTarget: tracking.target, scope })
    : tracking.observer;
  let run: RunResult;
  try {
    const context = { recipe, store, runsDir, runId, cwd: io.cwd, env: io.env, retries };
    // The local executor's modules (process spawning, the runner pool) load with the first node to run.
    const executor = chosen.type === 'local' ? lazyExecutor(() => makeExecutor('local', context) as Promise<NodeExecutor>) : await makeExecutor(chosen.type, context);
    run = await runPlan({
      runId, recipe, plan, store, runsDir, argv: ['run', ...args], overrides: values.set ?? [], cwd: io.cwd, env: io.env,
      track, trackingTarget: tracking.target,
      // With --target, nodes outside the targets and what they need are not part of this run's count.
      scope,
      jobs, gpus, keepGoing: values['keep-going'], replayLogs: values.quiet ? 'none' : (values.logs as ReplayMode | undefined) ?? 'tail',
      signal: controller.signal,
      executor,
      subscribers: [displaySubscriber(display),
        withTableArtifacts(trackingSubscriber(observer), observer, () => tableArtifacts(recipe, plan, store))],
      closeKilledRun: tracking.closeKilledRun,
    });
  } finally {
    stopListening();
  }

  io.stdout.write(summaryLine(run) + '\n');
  if (recipe.sweep) {
    // A trial is incomplete when one of its nodes failed, was cancelled or skipped for a failed upstream.
    const failed = [...run.nodes].filter(([, r]) => r.outcome !== 'hit' && r.outcome !== 'ran').map(([id]) => id);
    const broken = new Set(failed.flatMap((id) => plan.nodes.get(id)?.spec.trials ?? []));
    const trials = recipe.sweep.trials.length;
    const incomplete = recipe.sweep.trials.filter((t) => broken.has(t.id)).map((t) => t.id);
    io.stdout.write(`sweep ${recipe.sweep.id}: ${trials - incomplete.length} of ${trials} trials complete${incomplete.length ? `; incomplete: ${incomplete.slice(0, 10).join('; ')}${incomplete.length > 10 ? '; …' : ''}` : ''}\n`);
  }
  for (const line of failureLines(run)) io.stderr.write(line + '\n');
  if (recipe.tables.length && run.status !== 'cancelled') {
    const [{ collectTableRows }, { renderTables }] = await Promise.all([import('../../report/collect.js'), import('../../report/render.js')]);
    const rows = await collectTableRows(recipe, plan, store, run.nodes);
    io.stdout.write('\n' + renderTables(recipe.tables, rows, 'markdown') + '\n');
  }
  if (run.status === 'cancelled') return EXIT.interrupted;
  return run.status === 'ok' ? EXIT.ok : EXIT.failed;
}

/** An executor made when the first job comes: a run whose every node is cached never loads one. */
export function lazyExecutor(make: () => Promise<NodeExecutor>): NodeExecutor {
  let made: Promise<NodeExecutor> | undefined;
  return { run: async (request) => (await (made ??= make())).run(request) };
}

/** `--detach`: submits every miss, writes the run record a later `retort status` follows, prints the run id. */
async function detachRun(req: { runId: string; recipe: CompiledRecipe; plan: Plan; store: Store; runsDir: string;
  argv: string[]; overrides: string[]; io: CliIO; scope?: ReadonlySet<NodeId>; track: TrackConfig; target?: string; sweep?: SweepTrackingData;
}): Promise<number> {
  const { runId, recipe, plan, store, runsDir, io } = req;
  const dir = join(runsDir, 'slurm', runId);
  const startedAt = Date.now();
  // Slurm's modules are loaded only for a run that uses it.
  const [{ SlurmClient }, { SlurmExecutor }, { submitDetached }, { detachedTracking, writeDetachedTracking }] = await Promise.all([
    import('../../exec/slurm/client.js'), import('../../exec/slurm/executor.js'), import('../../exec/slurm/detach.js'), import('../../exec/slurm/detached-tracking.js'),
  ]);
  const executor = new SlurmExecutor({
    client: new SlurmClient({ env: io.env }), store, dir, runId, recipeName: recipe.name, cwd: io.cwd, follow: false,
    defaults: slurmDefaults(recipe.executor?.type === 'slurm' ? recipe.executor : undefined),
  });
  let submitted: DetachedSubmission;
  try {
    submitted = await submitDetached(plan, executor, req.scope);
  } catch (err) {
    io.stderr.write(`error: could not submit the run: ${(err as Error).message}\n`);
    return EXIT.failed;
  }
  const inScope = plan.order.filter((id) => !req.scope || req.scope.has(id));
  const record: RunRecord = {
    runId, recipe: recipe.file, recipeName: recipe.name, argv: req.argv, overrides: req.overrides, startedAt, status: 'detached',
    slurm: { dir, store: store.root },
    nodes: inScope.map((id) => {
      const node = plan.nodes.get(id)!;
      const job = submitted.jobs.get(id)?.job;
      return { id, stage: node.spec.stage, key: node.key, outcome: node.status === 'hit' && !node.run ? 'hit' : 'skipped', ...(job ? { job } : {}) };
    }),
  };
  // What tracking the run in MLflow once it has ended needs, as things stand now (see `retort status --follow`).
  const reported = inScope.map((id) => plan.nodes.get(id)!).filter((n) => n.run || n.status === 'hit');
  const tracking = detachedTracking({ track: req.track, target: req.target, cwd: io.cwd, vars: recipe.vars, nodes: reported, sweep: req.sweep });
  await writeDetachedTracking(dir, tracking);
  await writeRunRecord(runsDir, record);
  const hits = record.nodes.filter((n) => n.outcome === 'hit').length;
  io.stdout.write(`${record.nodes.length} node${record.nodes.length === 1 ? '' : 's'}: ${hits} cached, ${submitted.submitted.length} submitted as Slurm jobs${submitted.submitted.length ? ` ${submitted.submitted[0]}${submitted.submitted.length > 1 ? `…${submitted.submitted.at(-1)}` : ''}` : ''}\n`);
  io.stdout.write(`detached: follow it with \`retort status ${runId} --follow\`\n${runId}\n`);
  return EXIT.ok;
}
