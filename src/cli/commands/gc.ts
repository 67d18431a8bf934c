import { gc } from '../../store/gc.js';
import { count } from '../../util/plural.js';
import { durationOption, intOption, parse, sizeOption } from '../args.js';
import { EXIT, type CliCommand, type CliIO } from '../command.js';
import { openStore, prepare, runsDirOf } from '../session.js';

export const command: CliCommand = {
  name: 'gc',
  summary: 'remove store entries that no pin, recent run or given recipe reaches',
  help: `Usage: retort gc [options] [recipe.yaml...]

Keeps every entry reached by a pin, by the last N runs, or by the recipes named
on the command line; among the rest, removes those older than --older-than, or the
least recently used until the store fits --max-size (with neither: all of them).

Options:
      --keep-runs N      run records whose nodes are kept (default 10)
      --older-than AGE   e.g. 30d, 12h (only unreachable entries older than this)
      --max-size SIZE    e.g. 20GB (remove least recently used unreachable entries until under)
      --scratch-older-than AGE
                         working files (checkpoints) of unfinished nodes unchanged for this long
                         are removed (default 7d); those of published entries always are
      --dry-run          say what would be removed, remove nothing
      --runs-dir DIR     default: ./runs`,
  run: async (args: string[], io: CliIO) => {
    const { values, positionals } = parse(args, {
      'runs-dir': { type: 'string' }, help: { type: 'boolean', short: 'h' }, 'keep-runs': { type: 'string' },
      'older-than': { type: 'string' }, 'max-size': { type: 'string' }, 'dry-run': { type: 'boolean' },
      'scratch-older-than': { type: 'string' },
    }, { min: 0, max: Infinity, names: 'recipe files' });
    if (values.help) { io.stdout.write(command.help + '\n'); return EXIT.ok; }
    // Every option is checked before anything is read or created.
    const options = {
      keepRuns: intOption(values['keep-runs'], 'keep-runs', 0) ?? 10,
      olderThanMs: durationOption(values['older-than'], 'older-than'),
      maxSizeBytes: sizeOption(values['max-size'], 'max-size'),
      dryRun: values['dry-run'],
      scratchMaxAgeMs: durationOption(values['scratch-older-than'], 'scratch-older-than'),
    };
    const runsDir = runsDirOf(values['runs-dir'], io);
    const extraRoots: string[] = [];
    for (const file of positionals) {
      const { keys } = await prepare(file, [], runsDir, io);
      for (const k of keys.values()) extraRoots.push(k.key);
    }
    const store = await openStore(runsDir);
    const report = await gc(store, runsDir, { ...options, extraRoots });
    const verb = values['dry-run'] ? 'would remove' : 'removed';
    for (const r of report.removedScratch) io.stdout.write(`${verb} scratch ${r.key.slice(0, 12)}  ${formatBytes(r.size)}  ${r.reason}\n`);
    for (const r of report.removed) {
      const what = r.node ? `${r.node} (stage ${r.stage}, recipe ${r.recipe})` : 'unreadable entry';
      io.stdout.write(`${verb} ${what}  ${r.key.slice(0, 12)}  ${formatBytes(r.size)}  ${r.reason}\n`);
    }
    io.stdout.write(`${verb} ${count(report.removed.length, 'entry', 'entries')} (${formatBytes(report.freedBytes)}) and ${count(report.removedRecords.length, 'run record')}; kept ${report.kept.length}\n`);
    return EXIT.ok;
  },
};

export function formatBytes(n: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let i = 0;
  let v = n;
  while (v >= 1024 && i < units.length - 1) { v /= 1024; i++; }
  return `${v.toFixed(i ? 1 : 0)}${units[i]}`;
}
