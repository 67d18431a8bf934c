// How recipe errors reach the terminal: every diagnostic, located, then what happened (nothing).
import { formatDiagnostic, type RecipeError } from '../recipe/diagnostic.js';
import type { CliIO } from './command.js';

/** Prints recipe errors; returns the exit code 2. */
export function reportRecipeError(err: RecipeError, io: CliIO): number {
  const text = err.diagnostics.map((d) => formatDiagnostic(d, io.cwd)).join('\n\n');
  io.stderr.write(text + '\n');
  if (err.diagnostics.length > 1) io.stderr.write(`${err.diagnostics.length} errors; nothing was run\n`);
  else io.stderr.write('nothing was run\n');
  return 2;
}
