// `retort mlflow sync|status`: replay or inspect the MLflow spool (records kept while the tracking
// server was unreachable).

import { basename, resolve } from 'node:path';
import { EXIT, type CliCommand, type CliIO } from '../command.js';
import { redactEnv, redactUrl } from '../../track/redact.js';
import { listJournals, pendingOps, readJournal, readState, spoolDir } from '../../track/spool-journal.js';
import { syncSpool } from '../../track/spool-sync.js';

const HELP = `Usage:
  retort mlflow sync [--runs-dir DIR] [--uri URI]
  retort mlflow status [--runs-dir DIR]

When the MLflow tracking server cannot be reached, \`retort run\` keeps every tracking record in
<runs-dir>/mlflow-spool/ and goes on. \`sync\` sends the spooled records to the server, exactly
once (it may be repeated safely); \`status\` shows what is waiting.

Options:
  --runs-dir DIR   the runs directory (default: ./runs)
  --uri URI        send to this tracking server instead of the one recorded in the spool
Environment: MLFLOW_TRACKING_URI, MLFLOW_TRACKING_USERNAME/PASSWORD or MLFLOW_TRACKING_TOKEN,
MLFLOW_TRACKING_INSECURE_TLS, MLFLOW_TRACKING_SERVER_CERT_PATH, MLFLOW_HTTP_REQUEST_MAX_RETRIES.
Exit codes: 0 nothing left to send, 1 records still pending, 2 usage error.`;

interface Parsed { sub?: string; runsDir?: string; uri?: string; error?: string }

function parse(args: string[]): Parsed {
  const out: Parsed = {};
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const eq = arg.startsWith('--') ? arg.indexOf('=') : -1;
    const flag = eq > 0 ? arg.slice(0, eq) : arg;
    if (flag === '--runs-dir' || flag === '--uri') {
      const value = eq > 0 ? arg.slice(eq + 1) : args[++i];
      if (!value) return { error: `${flag} needs a value` };
      if (flag === '--runs-dir') out.runsDir = value;
      else out.uri = value;
    } else if (flag.startsWith('-')) return { error: `unknown option ${flag}` };
    else if (!out.sub) out.sub = flag;
    else return { error: `unexpected argument ${flag}` };
  }
  return out;
}

export const command: CliCommand = {
  name: 'mlflow',
  summary: 'sync or inspect MLflow records spooled while the server was unreachable',
  help: HELP,
  async run(args: string[], io: CliIO): Promise<number> {
    if (args.includes('--help') || args.includes('-h')) {
      io.stdout.write(HELP + '\n');
      return EXIT.ok;
    }
    const parsed = parse(args);
    if (parsed.error || !parsed.sub || !['sync', 'status'].includes(parsed.sub)) {
      io.stderr.write(`retort mlflow: ${parsed.error ?? (parsed.sub ? `unknown sub-command ${parsed.sub}` : 'missing sub-command')}\n\n${HELP}\n`);
      return EXIT.usage;
    }
    const runsDir = resolve(io.cwd, parsed.runsDir ?? 'runs');
    return parsed.sub === 'sync' ? sync(runsDir, parsed.uri, io) : status(runsDir, io);
  },
};

async function sync(runsDir: string, uri: string | undefined, io: CliIO): Promise<number> {
  const result = await syncSpool({
    runsDir,
    env: io.env,
    uri,
    info: (m) => io.stdout.write(m + '\n'),
    warn: (m) => io.stderr.write(m + '\n'),
  });
  if (result.journals === 0) {
    io.stdout.write(`nothing to sync: no MLflow spool in ${spoolDir(runsDir)}\n`);
    return EXIT.ok;
  }
  io.stdout.write(
    `MLflow sync: ${result.delivered} operation(s) delivered, ${result.dropped} rejected, ` +
      `${result.pending} pending (${result.requests} request(s))\n`,
  );
  for (const e of result.errors) io.stderr.write(`MLflow sync stopped: ${e}\n`);
  return result.pending > 0 ? EXIT.failed : EXIT.ok;
}

async function status(runsDir: string, io: CliIO): Promise<number> {
  const journals = await listJournals(spoolDir(runsDir));
  let pending = 0;
  const lines: string[] = [];
  for (const path of journals) {
    const journal = await readJournal(path);
    const state = await readState(journal.statePath);
    const todo = pendingOps(journal, state);
    pending += todo.length;
    const runs = todo.filter((o) => o.op.kind === 'createRun').length;
    const uri = journal.header?.trackingUri ? redactUrl(journal.header.trackingUri) : '?';
    const writer = journal.closed ? 'closed' : `written by pid ${journal.header?.pid ?? '?'}`;
    lines.push(`  ${basename(path)}: ${todo.length}/${journal.ops.length} pending, ${runs} run(s) to create, ${uri}, ${writer}`);
  }
  const mlflowEnv = Object.fromEntries(Object.entries(redactEnv(io.env)).filter(([k]) => k.startsWith('MLFLOW_')));
  io.stdout.write(`MLflow spool ${spoolDir(runsDir)}: ${pending} operation(s) pending in ${journals.length} journal(s)\n`);
  for (const line of lines) io.stdout.write(line + '\n');
  for (const [k, v] of Object.entries(mlflowEnv)) io.stdout.write(`  ${k}=${v}\n`);
  if (pending > 0) io.stdout.write('Run `retort mlflow sync` to send them.\n');
  return EXIT.ok;
}
