// `retort table` (and its older name `retort report`): the recipe's tables rebuilt from the store,
// without running anything; which cells are stale or missing; where a cell comes from.
import { writeFile } from 'node:fs/promises';
import { planRecipe } from '../../graph/plan.js';
import { sweepTableProblems } from '../../graph/report-checks.js';
import { collectTableRows } from '../../report/collect.js';
import { numberCells, tableTitle } from '../../report/cell-text.js';
import { explainCell, findCells, locatedCells } from '../../report/provenance.js';
import { FORMATS, renderTables, type Format } from '../../report/render.js';
import type { TableData } from '../../report/table-data.js';
import { parseObjective, tableSpecsFor } from '../../report/tables-of-recipe.js';
import { closest } from '../../util/suggest.js';
import { parse, RECIPE_OPTIONS, SWEEP_OPTION, UsageError } from '../args.js';
import { EXIT, type CliCommand, type CliIO } from '../command.js';
import { openStore, runsDirOf, useCaches } from '../session.js';
import { prepareRecipeOrSweep } from '../../sweep/prepare.js';

const OPTIONS = {
  ...RECIPE_OPTIONS,
  ...SWEEP_OPTION,
  format: { type: 'string' },
  out: { type: 'string' },
  provenance: { type: 'boolean' },
  explain: { type: 'string' },
  objective: { type: 'string' },
} as const;

const usage = (name: string) => `Usage: retort ${name} <recipe.yaml> [--format markdown|csv|latex|html] [--out FILE] [--provenance]
       retort ${name} <recipe.yaml> --explain CELL
       [-S path=value]... [-m] [--objective METRIC[:max|:min]] [--runs-dir DIR]

Rebuilds the recipe's report tables from the store, without running anything. Under
each table it says which cells are stale (the store has a result for an older key of
the node: \`retort run\` recomputes it) and which are missing (never computed).
A sweep also gets a summary: each trial, its assignments and its objective, best first.

Options:
      --format FMT       markdown (default), csv, latex (booktabs) or html (a standalone page)
      --out FILE         write to FILE instead of the terminal
      --provenance       Markdown: a footnote per cell with the nodes, keys and runs behind it
                         (HTML always links each cell to them)
      --explain CELL     where one cell comes from: its nodes, keys, runs and values; CELL is its
                         footnote id (c3) or row/column (bm25/accuracy)
      --objective M      rank the sweep's trials by metric M (M:min for lower is better)
  -S, --set path=value   override a recipe value, as for \`retort run\`
  -m, --sweep            comma lists of -S values are sweep axes, as for \`retort run\`
                         (the recipe's own sweep: block always is)
      --runs-dir DIR     where the store lives (default: ./runs)`;

/** Cells whose nodes are stale or were never computed, counted once each. */
function countCells(tables: TableData[]): { stale: number; missing: number } {
  let stale = 0, missing = 0;
  for (const c of locatedCells(tables)) {
    if (c.cell.sources.some((s) => s.status === 'stale')) stale++;
    else if (c.cell.sources.some((s) => s.status === 'new')) missing++;
  }
  return { stale, missing };
}

function explain(tables: TableData[], name: string): string {
  const found = findCells(tables, name);
  const [only] = found;
  if (only && found.length === 1) return explainCell(only, tableTitle(only.table)) + '\n';
  const cells = locatedCells(tables);
  if (found.length > 1) {
    throw new UsageError(`--explain: '${name}' names ${found.length} cells: ${found.map((c) => `${c.id} (table ${c.tableIndex + 1})`).join(', ')}; name one by its id`);
  }
  const names = cells.flatMap((c) => [c.id, `${c.row}/${c.column}`]);
  const guess = closest(name, names);
  const example = cells[0] ? ` (e.g. ${cells[0].id} or ${cells[0].row}/${cells[0].column})` : '';
  throw new UsageError(`--explain: no cell '${name}'${guess ? `; did you mean '${guess}'?` : ''}; cells are named by their id or row/column${example}`);
}

export function tableCommand(name: string, summary: string): CliCommand {
  const command: CliCommand = {
    name,
    summary,
    help: usage(name),
    run: async (args: string[], io: CliIO) => {
      const { values, positionals } = parse(args, OPTIONS, { min: 1, max: 1, names: 'one recipe file' });
      if (values.help) { io.stdout.write(command.help + '\n'); return EXIT.ok; }
      const format = (values.format ?? 'markdown') as Format;
      if (!FORMATS.includes(format)) throw new UsageError(`--format expects markdown, csv, latex or html, got '${format}'`);
      const objective = values.objective !== undefined ? parseObjective(values.objective) : undefined;
      if (objective && 'error' in objective) throw new UsageError(objective.error);
      const runsDir = runsDirOf(values['runs-dir'], io);
      // The same trials as `retort run`: the recipe's sweep: block (and -m axes) merged into one DAG.
      useCaches(runsDir, io.env);
      const { recipe, keys } = await prepareRecipeOrSweep(positionals[0], values.set ?? [], values.sweep ?? false, runsDir, io);
      sweepTableProblems(recipe);
      if (!recipe.tables.length && !recipe.sweep) throw new UsageError('the recipe has no report tables (add report.tables)');
      const store = await openStore(runsDir);
      // Misses explained against the store: an older entry of the node makes its cells stale.
      const plan = await planRecipe(recipe, keys, store, { explainMisses: true });
      const specs = tableSpecsFor(recipe, plan, objective);
      if ('error' in specs) throw new UsageError(specs.error);
      const tables = await collectTableRows(recipe, plan, store, undefined, { staleness: true, specs });
      numberCells(tables);
      if (values.explain !== undefined) { io.stdout.write(explain(tables, values.explain)); return EXIT.ok; }
      const text = renderTables(specs, tables, format, { provenance: values.provenance, title: recipe.name }) + '\n';
      if (values.out) await writeFile(values.out, text); else io.stdout.write(text);
      const { stale, missing } = countCells(tables);
      if (stale || missing) io.stderr.write(`${stale} cell${stale === 1 ? '' : 's'} stale, ${missing} missing (never computed): \`retort run ${positionals[0]}\` computes them\n`);
      return EXIT.ok;
    },
  };
  return command;
}

export const command = tableCommand('table', "print a recipe's tables from the store (stale and missing cells said), without running anything");
