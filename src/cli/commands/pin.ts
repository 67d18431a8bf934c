import { listPins, pinKeys, unpinWhere, type Pin } from '../../store/pins.js';
import { readRunRecord, listRunRecords, type RunRecord } from '../../store/runs.js';
import type { Store } from '../../store/store.js';
import { count } from '../../util/plural.js';
import type { Key } from '../../util/ids.js';
import { parse, UsageError } from '../args.js';
import { EXIT, type CliCommand, type CliIO } from '../command.js';
import { openStore, runsDirOf } from '../session.js';

export const command: CliCommand = {
  name: 'pin',
  summary: 'protect store entries from gc (a key, or every node of a run)',
  help: `Usage: retort pin <key|key-prefix|run-id|last> [--name NAME]
       retort pin --list
       retort pin --remove <name|key|key-prefix|run-id|last>

Pinned entries are never removed by \`retort gc\`. Pinning a run pins every node it
used, e.g. the run that produced a paper table; its pins are named "run <run-id>"
unless --name is given. Entries pinned already keep their pin.
--remove takes a pin name, a key, or a run (whose pins it removes).`,
  run: async (args: string[], io: CliIO) => {
    const { values, positionals } = parse(args, { 'runs-dir': { type: 'string' }, help: { type: 'boolean', short: 'h' }, name: { type: 'string' }, list: { type: 'boolean' }, remove: { type: 'boolean' } }, { min: 0, max: 1, names: 'a key or a run id' });
    if (values.help) { io.stdout.write(command.help + '\n'); return EXIT.ok; }
    const runsDir = runsDirOf(values['runs-dir'], io);
    const store = await openStore(runsDir);
    if (values.list) {
      for (const p of await listPins(store)) io.stdout.write(`${p.key}  ${p.name ?? ''}  ${new Date(p.pinnedAt).toISOString()}\n`);
      return EXIT.ok;
    }
    const [what, extra] = positionals;
    if (what === undefined || extra !== undefined) throw new UsageError('expected a key or a run id');
    const run = what === 'last' ? (await listRunRecords(runsDir))[0] : await readRunRecord(runsDir, what);
    if (values.remove) {
      const removed = await unpinWhere(store, await removalFilter(store, what, run));
      if (removed === 0) throw new UsageError(`no pin matches '${what}' (retort pin --list shows them)`);
      io.stdout.write(`unpinned ${count(removed, 'entry', 'entries')}\n`);
      return EXIT.ok;
    }
    const keys = run ? runKeys(run) : [await oneKey(store, what)];
    const { added, already } = await pinKeys(store, keys, values.name ?? (run ? runPinName(run) : undefined));
    io.stdout.write(`pinned ${count(added, 'entry', 'entries')}${already ? ` (${already} pinned already)` : ''}\n`);
    return EXIT.ok;
  },
};

/** Entries a run used (hit or ran): what its results depend on. */
function runKeys(run: RunRecord): Key[] {
  return [...new Set(run.nodes.filter((n) => n.outcome === 'hit' || n.outcome === 'ran').map((n) => n.key))];
}

const runPinName = (run: RunRecord) => `run ${run.runId}`;

async function oneKey(store: Store, prefix: string): Promise<Key> {
  const matches = await store.findKeys(prefix);
  const [only, another] = matches;
  if (only === undefined || another !== undefined) {
    throw new UsageError(only ? `'${prefix}' matches ${matches.length} keys; give more characters` : `no stored node or run matches '${prefix}'`);
  }
  return only;
}

/** A pin name first; then a run (its named pins, and its keys' unnamed ones); then a key or key prefix. */
async function removalFilter(store: Store, what: string, run: RunRecord | undefined): Promise<(p: Pin) => boolean> {
  const pins = await listPins(store);
  if (pins.some((p) => p.name === what)) return (p) => p.name === what;
  if (run) {
    const keys = new Set(runKeys(run));
    return (p) => p.name === runPinName(run) || (p.name === undefined && keys.has(p.key));
  }
  const byKey = pins.filter((p) => /^[0-9a-f]{2,64}$/.test(what) && p.key.startsWith(what));
  const distinct = new Set(byKey.map((p) => p.key));
  if (distinct.size > 1) throw new UsageError(`'${what}' matches ${distinct.size} pinned keys; give more characters`);
  return (p) => distinct.has(p.key);
}
