// Every sub-command of `retort`, in the order `retort --help` lists them.
import type { CliCommand } from './command.js';

export async function loadCommands(): Promise<CliCommand[]> {
  const modules = await Promise.all([
    import('./commands/run.js'),
    import('./commands/plan.js'),
    import('./commands/validate.js'),
    import('./commands/dag.js'),
    import('./commands/explain.js'),
    import('./commands/show.js'),
    import('./commands/report.js'),
    import('./commands/gc.js'),
    import('./commands/pin.js'),
    import('./commands/plugins.js'),
    import('./commands/mlflow.js'),
    import('./commands/serve-lm.js'),
  ]);
  return modules.map((m: { command: CliCommand }) => m.command);
}
