import { count } from '../../util/plural.js';
import { RecipeError } from '../../recipe/diagnostic.js';
import { parse, RECIPE_OPTIONS } from '../args.js';
import { EXIT, type CliCommand, type CliIO } from '../command.js';
import { runsDirOf, useCaches } from '../session.js';
import { prepareRecipeOrSweep } from '../../sweep/prepare.js';
import { reportRecipeError } from '../recipe-errors.js';

export const command: CliCommand = {
  name: 'validate',
  summary: 'check recipes (schema, plugins, params, references, cycles) without running anything',
  help: `Usage: retort validate <recipe.yaml>... [-S path=value]...

Checks each recipe against schemas/recipe.schema.json and every plugin's params
schema, resolves interpolation, includes, foreach and repeat, and checks references
and cycles. Prints file:line:col errors; exit code 2 when any recipe is invalid.`,
  run: async (args: string[], io: CliIO) => {
    const { values, positionals } = parse(args, RECIPE_OPTIONS, { min: 1, max: Infinity, names: 'one or more recipe files' });
    if (values.help) { io.stdout.write(command.help + '\n'); return EXIT.ok; }
    const runsDir = runsDirOf(values['runs-dir'], io);
    let code: number = EXIT.ok;
    for (const file of positionals) {
      try {
        useCaches(runsDir, io.env);
        const { recipe } = await prepareRecipeOrSweep(file, values.set ?? [], false, runsDir, io);
        io.stdout.write(`${file}: ok (${count(recipe.stages.size, 'stage')}, ${count(recipe.nodes.size, 'node')}${recipe.sweep ? `, a sweep of ${count(recipe.sweep.trials.length, 'trial')}` : ''})\n`);
      } catch (err) {
        if (!(err instanceof RecipeError)) throw err;
        code = reportRecipeError(err, io);
      }
    }
    return code;
  },
};
