import { collectTableRows } from '../../report/collect.js';
import { renderTables } from '../../report/render.js';
import { planRecipe } from '../../graph/plan.js';
import { SlurmClient } from '../../exec/slurm/client.js';
import { jobFiles } from '../../exec/slurm/executor.js';
import { readJobResult, type JobResult } from '../../exec/slurm/job-spec.js';
import { describeState, type JobState } from '../../exec/slurm/states.js';
import { failureMessage } from '../../exec/failure.js';
import { writeRunRecord, type NodeOutcome, type RunRecord, type RunRecordNode } from '../../store/runs.js';
import { prepareRecipeOrSweep } from '../../sweep/prepare.js';
import type { MetricPoint } from '../../track/observer.js';
import { parse } from '../args.js';
import { EXIT, type CliCommand, type CliIO } from '../command.js';
import { findRun } from '../run-lookup.js';
import { openStore, runsDirOf } from '../session.js';

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
                         does, and settle the run record
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
  const views = new Map<string, NodeView>();
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

function transition(id: string, view: NodeView): string {
  if (view.outcome) return `[${view.outcome}] ${id}${view.detail ? `: ${view.detail}` : ''}`;
  if (view.state?.phase === 'running') return `[start] ${id}`;
  return `[queued] ${id}: ${view.state?.phase === 'pending' ? view.state.reason : 'unknown'}`;
}

/** The run's end, as `retort run` prints it; the record settled with every node's outcome. */
async function settle(record: RunRecord, views: Map<string, NodeView>, runsDir: string, io: CliIO): Promise<number> {
  const nodes: RunRecordNode[] = record.nodes.map((n) => {
    const v = views.get(n.id);
    if (!v?.outcome) return n;
    const durationMs = v.result && v.outcome === 'ran' ? v.result.endedAt - v.result.startedAt : undefined;
    return { ...n, outcome: v.outcome, ...(durationMs === undefined ? {} : { durationMs }), ...(v.detail && v.outcome !== 'ran' && v.outcome !== 'hit' ? { error: v.detail } : {}) };
  });
  const failed = nodes.some((n) => n.outcome === 'failed' || n.outcome === 'skipped' || n.outcome === 'cancelled');
  const endedAt = Math.max(record.startedAt, ...[...views.values()].map((v) => v.result?.endedAt ?? 0));
  const settled: RunRecord = { ...record, nodes, status: failed ? 'failed' : 'ok', endedAt };
  await writeRunRecord(runsDir, settled);
  const count = (o: NodeOutcome) => nodes.filter((n) => n.outcome === o).length;
  const c = { ran: count('ran'), hit: count('hit'), failed: count('failed'), skipped: count('skipped'), cancelled: count('cancelled') };
  io.stdout.write(`${c.ran} ran, ${c.hit} cached, ${c.failed} failed${c.skipped ? `, ${c.skipped} skipped` : ''}${c.cancelled ? `, ${c.cancelled} cancelled` : ''} in ${((endedAt - record.startedAt) / 1000).toFixed(1)}s (run ${record.runId})\n`);
  for (const n of nodes) if (n.outcome === 'failed') io.stderr.write(`failed: ${n.id}: ${n.error ?? 'unknown error'}\n`);
  if (!failed) await printTables(record, views, runsDir, io);
  return failed ? EXIT.failed : EXIT.ok;
}

/** The recipe's tables over the run's nodes, planned again from the recipe and overrides the run was started with. */
async function printTables(record: RunRecord, views: Map<string, NodeView>, runsDir: string, io: CliIO): Promise<void> {
  try {
    const sweep = record.argv.includes('-m') || record.argv.includes('--sweep');
    const { recipe, keys } = await prepareRecipeOrSweep(record.recipe, record.overrides ?? [], sweep, runsDir, io);
    if (!recipe.tables.length) return;
    const store = await openStore(runsDir);
    const plan = await planRecipe(recipe, keys, store, { explainMisses: false, verify: 'stat' });
    const outcomes = new Map<string, { outcome: string; metrics: MetricPoint[] }>();
    for (const n of record.nodes) {
      const v = views.get(n.id);
      const stored = plan.nodes.get(n.id)?.manifest;
      outcomes.set(n.id, { outcome: v?.outcome ?? n.outcome, metrics: v?.result?.metrics ?? stored?.metrics ?? [] });
    }
    io.stdout.write('\n' + renderTables(recipe.tables, await collectTableRows(recipe, plan, store, outcomes), 'markdown') + '\n');
  } catch (err) {
    io.stderr.write(`warning: no tables: the recipe could not be planned again (${(err as Error).message})\n`);
  }
}
