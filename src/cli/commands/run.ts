import { randomBytes } from 'node:crypto';
import { planRecipe } from '../../graph/plan.js';
import { renderTables } from '../../report/render.js';
import { collectTableRows } from '../../report/collect.js';
import { createDisplay } from '../../exec/display.js';
import { executePlan, REPLAY_TAIL_LINES, type ReplayMode } from '../../exec/scheduler.js';
import { gpuPool, gpuRequestProblem } from '../../exec/gpus.js';
import { clearRunning, markRunning, reapKilledRuns, writeRunRecord, type RunRecord } from '../../store/runs.js';
import type { RunObserver, TrackConfig } from '../../track/observer.js';
import { closeKilledRuns, createRunObserver, pendingSpoolWarning, trackingTarget } from '../tracking.js';
import { intOption, parse, RECIPE_OPTIONS, UsageError } from '../args.js';
import { EXIT, type CliCommand, type CliIO } from '../command.js';
import { checkStageNames, openStore, prepare, runsDirOf, targetClosure } from '../session.js';

export const command: CliCommand = {
  name: 'run',
  summary: 'run a recipe: compute what is not cached, then print its report',
  help: `Usage: retort run <recipe.yaml> [options]

Compiles the recipe, looks every node up in the store, and runs the misses
(each node in its own process). A second run with nothing changed runs nothing.

Options:
  -S, --set path=value   override a recipe value (vars.x=1, stages.s.params.p=2); repeatable
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
  const gpus = gpuPool(intOption(values.gpus, 'gpus', 0), io.env);
  if ('error' in gpus) throw new UsageError(gpus.error);
  if (values.verify && !['stat', 'full'].includes(values.verify)) throw new UsageError(`--verify expects stat or full, got '${values.verify}'`);
  if (values.logs && !['tail', 'all', 'none'].includes(values.logs)) throw new UsageError(`--logs expects tail, all or none, got '${values.logs}'`);
  const runsDir = runsDirOf(values['runs-dir'], io);

  const prepared = await prepare(positionals[0], values.set ?? [], runsDir, io);
  const { recipe, keys, hasher } = prepared;
  checkStageNames(recipe, values.force ?? [], '--force');
  checkStageNames(recipe, values.target ?? [], '--target');
  const store = await openStore(runsDir);
  await hasher.save();
  const plan = await planRecipe(recipe, keys, store, {
    force: values.force, forceAll: values['force-all'], targets: values.target,
    explainMisses: false, verify: (values.verify as 'stat' | 'full' | undefined) ?? 'stat',
  });
  const gpuProblem = gpuRequestProblem(plan, gpus.length);
  if (gpuProblem) throw new UsageError(gpuProblem);

  const runId = newRunId();
  const startedAt = Date.now();
  const track: TrackConfig = {
    enabled: values['no-track'] ? false : values.track ? true : recipe.track.enabled ?? true,
    uri: recipe.track.uri,
    experiment: recipe.track.experiment ?? recipe.name,
    tags: recipe.track.tags,
  };
  const display = createDisplay(io.stdout, { quiet: values.quiet, tty: values.plain ? false : undefined });
  const warn = (msg: string) => display.message(`warning: ${msg}`);
  const observer: RunObserver = await createRunObserver(track, { runsDir, env: io.env, warn });
  const spoolWarning = await pendingSpoolWarning(runsDir);
  if (spoolWarning) warn(spoolWarning);

  // Runs whose process died (SIGKILL, power loss) are closed first: their record and MLflow runs say so.
  for (const killed of await reapKilledRuns(runsDir)) {
    const closed = await closeKilledRuns(killed, { config: track, runsDir, env: io.env });
    warn(`run ${killed.runId} ended without finishing (its process ${killed.pid} is gone): marked killed${closed ? ` with its ${closed} MLflow run${closed === 1 ? '' : 's'}` : ''}`);
  }

  const record: RunRecord = {
    runId, recipe: recipe.file, recipeName: recipe.name, argv: ['run', ...args], startedAt, status: 'running', overrides: values.set ?? [],
    nodes: plan.order.map((id) => ({ id, stage: plan.nodes.get(id)!.spec.stage, key: plan.nodes.get(id)!.key, outcome: 'skipped' })),
  };
  // The marker first: a run killed between the two writes then leaves a marker the next run reaps,
  // never a 'running' record that nothing points at.
  await markRunning(runsDir, runId, { trackingUri: await trackingTarget(track, runsDir, io.env), experiment: track.experiment || recipe.name });
  await writeRunRecord(runsDir, record);

  const controller = new AbortController();
  let interrupts = 0;
  const onSignal = (sig: NodeJS.Signals) => {
    interrupts++;
    if (interrupts === 1) {
      display.message(`${sig === 'SIGINT' ? 'interrupted' : 'terminated'}: cancelling running nodes (again to force)`);
      controller.abort();
    } else {
      process.exit(EXIT.interrupted);
    }
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  // With --target, nodes outside the targets and what they need are not part of this run's count.
  const scope = values.target?.length ? targetClosure(recipe, values.target) : undefined;
  const inScope = [...plan.nodes.values()].filter((n) => !scope || scope.has(n.spec.id));
  const toRun = inScope.filter((n) => n.run).length;
  const hits = inScope.filter((n) => n.status === 'hit').length;
  await observer.runStarted({ runId, recipe: recipe.file, recipeName: recipe.name, startedAt, argv: ['run', ...args], cwd: io.cwd, track, vars: recipe.vars, overrides: values.set ?? [] });
  display.start({ toRun, hits, nodes: inScope.length });
  // As `plan` does: an entry that no longer matched its manifest was set aside and is recomputed.
  for (const id of plan.order) {
    const node = plan.nodes.get(id)!;
    if (node.run && node.reason?.kind === 'corrupt') warn(`${id}: ${node.reason.detail}`);
  }
  let result: Awaited<ReturnType<typeof executePlan>> | undefined;
  try {
    result = await executePlan(plan, {
      store, runId, recipeName: recipe.name, jobs, gpus, keepGoing: values['keep-going'], signal: controller.signal,
      observer, display, env: io.env, scope, replayLogs: values.quiet ? 'none' : (values.logs as ReplayMode | undefined) ?? 'tail',
    });
  } catch (err) {
    // The record must not stay 'running' (a gc would protect the run's entries for a week).
    record.status = 'failed';
    record.endedAt = Date.now();
    await writeRunRecord(runsDir, record).catch(() => undefined);
    await clearRunning(runsDir, runId).catch(() => undefined);
    throw err;
  } finally {
    display.finish();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    // Trackers must close their runs and spool journals even when the executor failed.
    const outcomes = [...(result?.outcomes.values() ?? [])];
    const n = (o: string) => outcomes.filter((x) => x.outcome === o).length;
    try {
      await observer.runFinished({ status: result?.status ?? 'failed', hits: n('hit'), ran: n('ran'), failed: n('failed'), endedAt: Date.now() });
    } finally {
      await observer.close();
    }
  }
  const endedAt = Date.now();
  const outcomes = [...result.outcomes.values()];
  const count = (o: string) => outcomes.filter((x) => x.outcome === o).length;
  record.status = result.status;
  record.endedAt = endedAt;
  record.nodes = plan.order.map((id) => {
    const o = result!.outcomes.get(id);
    return { id, stage: plan.nodes.get(id)!.spec.stage, key: plan.nodes.get(id)!.key, outcome: o?.outcome ?? 'skipped', durationMs: o?.durationMs, error: o?.error };
  });
  await writeRunRecord(runsDir, record);
  await clearRunning(runsDir, runId);

  const summary = `${count('ran')} ran, ${count('hit')} cached, ${count('failed')} failed${count('skipped') ? `, ${count('skipped')} skipped` : ''}${count('cancelled') ? `, ${count('cancelled')} cancelled` : ''} in ${((endedAt - startedAt) / 1000).toFixed(1)}s (run ${runId})`;
  io.stdout.write((count('ran') === 0 && result.status === 'ok' ? 'nothing to do: every node was cached. ' : '') + summary + '\n');
  for (const o of outcomes.filter((x) => x.outcome === 'failed')) io.stderr.write(`failed: ${o.id}: ${o.error ?? 'unknown error'}\n`);

  if (recipe.tables.length && result.status !== 'cancelled') {
    const rows = await collectTableRows(recipe, plan, store, result.outcomes);
    io.stdout.write('\n' + renderTables(recipe.tables, rows, 'markdown') + '\n');
  }
  if (result.status === 'cancelled') return EXIT.interrupted;
  return result.status === 'ok' ? EXIT.ok : EXIT.failed;
}
