import { writeFile } from 'node:fs/promises';
import { planRecipe } from '../../graph/plan.js';
import { collectTableRows } from '../../report/collect.js';
import { renderTables, type Format } from '../../report/render.js';
import { parse, RECIPE_OPTIONS, UsageError } from '../args.js';
import { EXIT, type CliCommand, type CliIO } from '../command.js';
import { openStore, prepare, runsDirOf } from '../session.js';

export const command: CliCommand = {
  name: 'report',
  summary: "print a recipe's tables from the store, without running anything",
  help: `Usage: retort report <recipe.yaml> [--format markdown|csv|latex|html] [--out FILE] [-S path=value]...

Renders the recipe's report tables from cached results. Cells whose nodes are not
cached yet are shown as –.`,
  run: async (args: string[], io: CliIO) => {
    const { values, positionals } = parse(args, { ...RECIPE_OPTIONS, format: { type: 'string' }, out: { type: 'string' } }, { min: 1, max: 1, names: 'one recipe file' });
    if (values.help) { io.stdout.write(command.help + '\n'); return EXIT.ok; }
    const format = (values.format ?? 'markdown') as Format;
    if (!['markdown', 'csv', 'latex', 'html'].includes(format)) throw new UsageError(`--format expects markdown, csv, latex or html, got '${format}'`);
    const runsDir = runsDirOf(values['runs-dir'], io);
    const prepared = await prepare(positionals[0], values.set ?? [], runsDir, io);
    if (!prepared.recipe.tables.length) throw new UsageError('the recipe has no report tables (add report.tables)');
    const store = await openStore(runsDir);
    const plan = await planRecipe(prepared.recipe, prepared.keys, store, { explainMisses: false });
    const text = renderTables(prepared.recipe.tables, await collectTableRows(prepared.recipe, plan, store), format) + '\n';
    if (values.out) await writeFile(values.out, text); else io.stdout.write(text);
    return EXIT.ok;
  },
};
