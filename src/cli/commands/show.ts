import { readFile } from 'node:fs/promises';
import { listRunRecords, readRunRecord } from '../../store/runs.js';
import { parse, UsageError } from '../args.js';
import { EXIT, type CliCommand, type CliIO } from '../command.js';
import { openStore, runsDirOf } from '../session.js';

export const command: CliCommand = {
  name: 'show',
  summary: 'show a stored node (by key or key prefix) or a run (by run id, or "last")',
  help: `Usage: retort show <key|key-prefix|run-id|last> [--log] [--json] [--runs-dir DIR]

A key shows the node's manifest: stage, plugin, files with hashes, metrics, timings,
the run that produced it and the key structure. A run id shows the run record:
every node with its outcome. --log prints the node's stored log.`,
  run: async (args: string[], io: CliIO) => {
    const { values, positionals } = parse(args, { 'runs-dir': { type: 'string' }, help: { type: 'boolean', short: 'h' }, log: { type: 'boolean' }, json: { type: 'boolean' } }, { min: 1, max: 1, names: 'a key or a run id' });
    if (values.help) { io.stdout.write(command.help + '\n'); return EXIT.ok; }
    const runsDir = runsDirOf(values['runs-dir'], io);
    const what = positionals[0];
    const run = what === 'last' ? (await listRunRecords(runsDir))[0] : await readRunRecord(runsDir, what);
    if (run) {
      if (values.json) { io.stdout.write(JSON.stringify(run, null, 2) + '\n'); return EXIT.ok; }
      io.stdout.write(`run ${run.runId}  ${run.status}  ${run.recipeName} (${run.recipe})\n`);
      io.stdout.write(`started ${new Date(run.startedAt).toISOString()}${run.endedAt ? `, took ${((run.endedAt - run.startedAt) / 1000).toFixed(1)}s` : ''}\n`);
      if (run.overrides?.length) io.stdout.write(`overrides ${run.overrides.map((o) => `-S ${shellWord(o)}`).join(' ')}\n`);
      for (const n of run.nodes) io.stdout.write(`  ${n.outcome.padEnd(9)} ${n.id}  ${n.key.slice(0, 12)}${n.durationMs ? `  ${(n.durationMs / 1000).toFixed(1)}s` : ''}${n.error ? `  ${n.error}` : ''}\n`);
      return EXIT.ok;
    }
    if (!/^[0-9a-f]{4,64}$/.test(what)) throw new UsageError(`no run '${what}' and not a key (hex)`);
    const store = await openStore(runsDir);
    const matches = (await store.manifests()).filter((m) => m.key.startsWith(what));
    const [m, another] = matches;
    if (!m) throw new UsageError(`no stored node or run matches '${what}'`);
    if (another) throw new UsageError(`'${what}' matches ${matches.length} keys; give more characters`);
    if (values.log) {
      try { io.stdout.write(await readFile(store.logPath(m.key), 'utf8')); } catch { io.stdout.write('(no log)\n'); }
      return EXIT.ok;
    }
    if (values.json) { io.stdout.write(JSON.stringify(m, null, 2) + '\n'); return EXIT.ok; }
    io.stdout.write(`key      ${m.key}\nnode     ${m.nodeId} (stage ${m.stage}, recipe ${m.recipe})\nplugin   ${m.plugin.id}@${m.plugin.version}\n`);
    io.stdout.write(`run      ${m.runId}${m.tracking ? `  tracking ${Object.entries(m.tracking).map(([k, v]) => `${k}=${v}`).join(' ')}` : ''}\n`);
    io.stdout.write(`time     ${new Date(m.startedAt).toISOString()} (${((m.endedAt - m.startedAt) / 1000).toFixed(1)}s)\n`);
    io.stdout.write(`location ${store.entryDir(m.key)}\nfiles\n`);
    for (const f of m.files) io.stdout.write(`  ${f.sha256.slice(0, 12)}  ${String(f.size).padStart(10)}  ${f.path}\n`);
    const last = new Map<string, number>();
    for (const p of m.metrics) last.set(p.name, p.value);
    if (last.size) { io.stdout.write('metrics\n'); for (const [k, v] of last) io.stdout.write(`  ${k} = ${formatNumber(v)}\n`); }
    io.stdout.write(`key structure\n${JSON.stringify(m.keyStructure, null, 2).replace(/^/gm, '  ')}\n`);
    return EXIT.ok;
  },
};

/** 12 significant digits: what a metric means, without the noise of binary fractions (56.00000000000001 → 56). */
export function formatNumber(v: number): string {
  return Number.isFinite(v) ? String(Number(v.toPrecision(12))) : String(v);
}

/** An override as one could type it again in a POSIX shell. */
function shellWord(text: string): string {
  return /^[\w.,:/=@+-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;
}
