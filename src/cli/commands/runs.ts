// `retort runs`: the run records, newest first: what each run was asked (recipe, overrides) and did.
import { basename, resolve } from 'node:path';
import { listRunRecords, type NodeOutcome, type RunRecord } from '../../store/runs.js';
import { intOption, parse } from '../args.js';
import { EXIT, type CliCommand, type CliIO } from '../command.js';
import { runsDirOf } from '../session.js';
import { formatDuration, formatTime, textTable } from '../text-table.js';

export const command: CliCommand = {
  name: 'runs',
  summary: 'list recorded runs, newest first (status, duration, node counts, overrides)',
  help: `Usage: retort runs [--recipe RECIPE] [--limit N] [--json] [--runs-dir DIR]

Lists the runs recorded under the runs directory, newest first: run id, status, start
time (UTC), duration, how many nodes ran, were cached or failed, the recipe and the
-S overrides the run was started with. Run ids (or a unique prefix of one) are what
\`retort show\`, \`retort diff\` and \`retort pin\` take.

Options:
  --recipe RECIPE   only runs of this recipe (its name, file name or path)
  --limit N         at most N runs
  --json            one JSON array: each run with its counts and duration
  --runs-dir DIR    where the store and run records live (default: ./runs)`,
  run: async (args: string[], io: CliIO) => {
    const { values } = parse(args, {
      'runs-dir': { type: 'string' }, help: { type: 'boolean', short: 'h' },
      recipe: { type: 'string' }, limit: { type: 'string', short: 'n' }, json: { type: 'boolean' },
    }, { min: 0, max: 0, names: 'no arguments' });
    if (values.help) { io.stdout.write(command.help + '\n'); return EXIT.ok; }
    const limit = intOption(values.limit, 'limit');
    const runsDir = runsDirOf(values['runs-dir'], io);
    let records = await listRunRecords(runsDir);
    if (values.recipe !== undefined) records = records.filter(ofRecipe(values.recipe, io.cwd));
    if (limit !== undefined) records = records.slice(0, limit);
    if (values.json) {
      io.stdout.write(JSON.stringify(records.map(summary), null, 2) + '\n');
      return EXIT.ok;
    }
    if (records.length === 0) {
      io.stdout.write(values.recipe !== undefined ? `no runs of '${values.recipe}' are recorded in ${runsDir}\n` : `no runs are recorded in ${runsDir}\n`);
      return EXIT.ok;
    }
    const now = Date.now();
    const rows = records.map((r) => {
      const c = outcomeCounts(r);
      const took = r.endedAt !== undefined ? formatDuration(r.endedAt - r.startedAt) : r.status === 'running' ? `${formatDuration(now - r.startedAt)}…` : '-';
      return [r.runId, r.status, formatTime(r.startedAt), took, String(c.ran), String(c.hit), String(c.failed), r.recipeName, overridesText(r)];
    });
    for (const line of textTable(['RUN', 'STATUS', 'STARTED (UTC)', 'TOOK', 'RAN', 'CACHED', 'FAILED', 'RECIPE', 'OVERRIDES'], rows, { right: [3, 4, 5, 6] })) io.stdout.write(line + '\n');
    return EXIT.ok;
  },
};

export function outcomeCounts(record: RunRecord): Record<NodeOutcome, number> {
  const counts: Record<NodeOutcome, number> = { ran: 0, hit: 0, failed: 0, cancelled: 0, skipped: 0 };
  for (const n of record.nodes) counts[n.outcome] = (counts[n.outcome] ?? 0) + 1;
  return counts;
}

function summary(r: RunRecord) {
  return {
    runId: r.runId, recipe: r.recipe, recipeName: r.recipeName, status: r.status,
    startedAt: r.startedAt, endedAt: r.endedAt ?? null, durationMs: r.endedAt !== undefined ? r.endedAt - r.startedAt : null,
    counts: outcomeCounts(r), overrides: r.overrides ?? [], argv: r.argv,
  };
}

/** A recipe named by what the user knows: its name, its file name (with or without .yaml) or its path. */
function ofRecipe(name: string, cwd: string): (r: RunRecord) => boolean {
  const path = resolve(cwd, name);
  return (r) => r.recipeName === name || r.recipe === path || basename(r.recipe) === name || basename(r.recipe).replace(/\.ya?ml$/, '') === name;
}

export function overridesText(r: RunRecord): string {
  return (r.overrides ?? []).map((o) => `-S ${shellWord(o)}`).join(' ');
}

/** An override as one could type it again in a POSIX shell. */
function shellWord(text: string): string {
  return /^[\w.,:/=@+-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;
}
