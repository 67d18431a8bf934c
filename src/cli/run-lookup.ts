// Finding a run record from what a user types: a full run id, a unique prefix of one, or `last`
// (`last~1` the one before it). Anything else is a usage error with a did-you-mean.
import { listRunRecords, readRunRecord, type RunRecord } from '../store/runs.js';
import { closest } from '../util/suggest.js';
import { UsageError } from './args.js';

export async function findRun(runsDir: string, what: string): Promise<RunRecord> {
  const back = /^last(?:~(\d+))?$/.exec(what);
  const exact = back || !/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(what) ? undefined : await readRunRecord(runsDir, what);
  if (exact) return exact;
  const records = await listRunRecords(runsDir);
  if (records.length === 0) throw new UsageError(`no run '${what}': no runs are recorded in ${runsDir}`);
  if (back) {
    const n = Number(back[1] ?? 0);
    const record = records[n];
    if (!record) throw new UsageError(`no run '${what}': only ${records.length} run${records.length === 1 ? ' is' : 's are'} recorded`);
    return record;
  }
  const matches = records.filter((r) => r.runId.startsWith(what));
  const [only] = matches;
  if (only && matches.length === 1) return only;
  if (matches.length > 1) {
    const shown = matches.slice(0, 5).map((r) => r.runId).join(', ');
    throw new UsageError(`'${what}' matches ${matches.length} runs (${shown}${matches.length > 5 ? ', …' : ''}); give more characters`);
  }
  // A typo anywhere in the id, or in the part a user typed (a prefix): compare with ids cut to that length.
  const ids = records.map((r) => r.runId);
  const near = closest(what, ids) ?? ids.find((id) => closest(what, [id.slice(0, what.length)]) !== undefined);
  throw new UsageError(`no run '${what}'${near ? `; did you mean '${near}'?` : ''} (\`retort runs\` lists them)`);
}
