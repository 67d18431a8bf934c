import { listPins, pin, unpin } from '../../store/pins.js';
import { readRunRecord, listRunRecords } from '../../store/runs.js';
import { parse, UsageError } from '../args.js';
import { EXIT, type CliCommand, type CliIO } from '../command.js';
import { openStore, runsDirOf } from '../session.js';

export const command: CliCommand = {
  name: 'pin',
  summary: 'protect store entries from gc (a key, or every node of a run)',
  help: `Usage: retort pin <key|key-prefix|run-id|last> [--name NAME]
       retort pin --list
       retort pin --remove <key|run-id>

Pinned entries are never removed by \`retort gc\`. Pinning a run pins every node it
used, e.g. the run that produced a paper table.`,
  run: async (args: string[], io: CliIO) => {
    const { values, positionals } = parse(args, { 'runs-dir': { type: 'string' }, help: { type: 'boolean', short: 'h' }, name: { type: 'string' }, list: { type: 'boolean' }, remove: { type: 'boolean' } }, { min: 0, max: 1, names: 'a key or a run id' });
    if (values.help) { io.stdout.write(command.help + '\n'); return EXIT.ok; }
    const runsDir = runsDirOf(values['runs-dir'], io);
    const store = await openStore(runsDir);
    if (values.list) {
      for (const p of await listPins(store)) io.stdout.write(`${p.key}  ${p.name ?? ''}  ${new Date(p.pinnedAt).toISOString()}\n`);
      return EXIT.ok;
    }
    if (positionals.length !== 1) throw new UsageError('expected a key or a run id');
    const what = positionals[0];
    const run = what === 'last' ? (await listRunRecords(runsDir))[0] : await readRunRecord(runsDir, what);
    let keys: string[];
    if (run) keys = [...new Set(run.nodes.filter((n) => n.outcome === 'hit' || n.outcome === 'ran').map((n) => n.key))];
    else {
      const matches = (await store.manifests()).filter((m) => m.key.startsWith(what)).map((m) => m.key);
      if (matches.length !== 1) throw new UsageError(matches.length ? `'${what}' matches ${matches.length} keys` : `no stored node or run matches '${what}'`);
      keys = matches;
    }
    for (const key of keys) {
      if (values.remove) await unpin(store, key);
      else await pin(store, key, values.name ?? (run ? `run ${run.runId}` : undefined));
    }
    io.stdout.write(`${values.remove ? 'unpinned' : 'pinned'} ${keys.length} entr${keys.length === 1 ? 'y' : 'ies'}\n`);
    return EXIT.ok;
  },
};
