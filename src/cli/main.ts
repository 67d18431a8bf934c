// `retort <command> …`: dispatches to a sub-command; usage errors exit 2, never a stack trace.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { diskFullFault } from '../store/store-fault.js';
import { secretMasker } from '../util/secrets.js';
import { didYouMean } from '../util/suggest.js';
import { RecipeError } from '../recipe/diagnostic.js';
import { UsageError } from './args.js';
import { reportRecipeError } from './recipe-errors.js';
import { EXIT, type CliIO } from './command.js';
import { COMMANDS, loadCommand, loadCommands } from './registry.js';

function version(): string {
  // dist/src/cli/main.js → the package root holds package.json.
  const file = fileURLToPath(new URL('../../../package.json', import.meta.url));
  try { return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version; } catch { return 'unknown'; }
}

export async function main(argv: string[],
  io: CliIO = { stdout: process.stdout, stderr: process.stderr, cwd: process.cwd(), env: process.env }): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    const commands = await loadCommands();
    const width = Math.max(...commands.map((c) => c.name.length));
    const usage = `Usage: retort <command> [options]\n\nCommands:\n${commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`).join('\n')}\n\nRun \`retort <command> --help\` for a command's options.\n`;
    // Asked for, help is the output; without a command it is a usage error.
    (name ? io.stdout : io.stderr).write(usage);
    return name ? EXIT.ok : EXIT.usage;
  }
  if (name === '--version' || name === '-V') { io.stdout.write(`retort ${version()}\n`); return EXIT.ok; }
  const cmd = await loadCommand(name);
  if (!cmd) {
    const hint = didYouMean(name, COMMANDS.map((c) => c.name));
    io.stderr.write(`retort: unknown command '${name}'${hint ? `; ${hint}` : ''}\nRun \`retort --help\` for the list of commands.\n`);
    return EXIT.usage;
  }
  try {
    return await cmd.run(rest, io);
  } catch (err) {
    // Recipe errors from any command: located diagnostics, exit 2, nothing ran.
    if (err instanceof RecipeError) return reportRecipeError(err, io);
    if (err instanceof UsageError) {
      io.stderr.write(`retort ${name}: ${err.message}\nRun \`retort ${name} --help\` for usage.\n`);
      return EXIT.usage;
    }
    // Faults the message explains (store permissions, a full disk): no stack.
    const fault = diskFullFault(err) ?? err;
    if ((fault as { expected?: unknown })?.expected === true) {
      io.stderr.write(secretMasker(io.env)(`retort ${name}: ${(fault as Error).message}\n`));
      return EXIT.failed;
    }
    io.stderr.write(secretMasker(io.env)(`retort ${name}: internal error: ${(err as Error)?.stack ?? String(err)}\n`));
    return EXIT.failed;
  }
}
