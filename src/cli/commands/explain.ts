import { nearestEntry, stageEntries } from '../../graph/plan.js';
import { parse, RECIPE_OPTIONS, UsageError } from '../args.js';
import { EXIT, type CliCommand, type CliIO } from '../command.js';
import { openStore, prepare, runsDirOf } from '../session.js';
import { isNodeOf, selectNodes } from '../../graph/node-selection.js';
import { describeDifferences } from '../explain-change.js';

export const command: CliCommand = {
  name: 'explain',
  summary: 'say which labelled key component differs from the nearest cached entry of a stage',
  help: `Usage: retort explain <recipe.yaml> <stage|node-id> [-S path=value]...

For each node of the stage, compares its key structure (plugin, params, inputs,
env, runtime) with the nearest entry of the same stage in the store and prints
every component that differs, with the old and new values.`,
  run: async (args: string[], io: CliIO) => {
    const { values, positionals } = parse(args, RECIPE_OPTIONS, { min: 2, max: 2, names: 'a recipe file and a stage' });
    if (values.help) { io.stdout.write(command.help + '\n'); return EXIT.ok; }
    const runsDir = runsDirOf(values['runs-dir'], io);
    const prepared = await prepare(positionals[0], values.set ?? [], runsDir, io);
    const { recipe, keys } = prepared;
    const target = positionals[1];
    const selection = selectNodes(recipe, [target], 'STAGE');
    if (!selection.ok) throw new UsageError(`unknown stage '${target}'${selection.error.hint ? ` (${selection.error.hint})` : ''}`);
    const ids = selection.nodes;
    const store = await openStore(runsDir);
    const stage = isNodeOf(recipe, target) ? recipe.nodes.get(target)!.stage : target; // a node's own stage, else the stage named
    const candidates = await store.manifests({ stage });
    const entries = stageEntries(candidates);
    for (const id of ids) {
      const { key, structure } = keys.get(id)!;
      const exact = candidates.find((m) => m.key === key);
      io.stdout.write(`${id}  key ${key.slice(0, 12)}\n`);
      if (exact) { io.stdout.write(`  cached (produced ${new Date(exact.createdAt).toISOString()} by run ${exact.runId})\n`); continue; }
      const nearest = nearestEntry(id, structure, entries.candidatesFor(id));
      if (!nearest) { io.stdout.write(`  new: no cached entry of stage '${stage}' yet\n`); continue; }
      // Another instance of the stage (a new foreach item, a new iteration) is not what this node was.
      if (nearest.manifest.nodeId !== id) { io.stdout.write(`  new: ${id} was never computed (the stage has cached entries of other instances)\n`); continue; }
      io.stdout.write(`  nearest cached entry: ${nearest.manifest.key.slice(0, 12)} (${new Date(nearest.manifest.createdAt).toISOString()}, run ${nearest.manifest.runId})\n`);
      for (const line of await describeDifferences({ recipe, keys, store }, id, nearest.differences)) io.stdout.write(`  ${line}\n`);
    }
    return EXIT.ok;
  },
};
