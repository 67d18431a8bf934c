// Every sub-command of `retort`, in the order `retort --help` lists them. Modules load on demand:
// starting `retort plan` does not pay for the MLflow client or the language-model server.
import type { CliCommand } from './command.js';

type Loader = () => Promise<{ command: CliCommand }>;

export const COMMANDS: { name: string; load: Loader }[] = [
  { name: 'run', load: () => import('./commands/run.js') },
  { name: 'plan', load: () => import('./commands/plan.js') },
  { name: 'validate', load: () => import('./commands/validate.js') },
  { name: 'dag', load: () => import('./commands/dag.js') },
  { name: 'explain', load: () => import('./commands/explain.js') },
  { name: 'show', load: () => import('./commands/show.js') },
  { name: 'runs', load: () => import('./commands/runs.js') },
  { name: 'status', load: () => import('./commands/status.js') },
  { name: 'diff', load: () => import('./commands/diff.js') },
  { name: 'table', load: () => import('./commands/table.js') },
  { name: 'report', load: () => import('./commands/report.js') },
  { name: 'gc', load: () => import('./commands/gc.js') },
  { name: 'pin', load: () => import('./commands/pin.js') },
  { name: 'plugins', load: () => import('./commands/plugins.js') },
  { name: 'mlflow', load: () => import('./commands/mlflow.js') },
  { name: 'serve-lm', load: () => import('./commands/serve-lm.js') },
  { name: 'completion', load: () => import('./commands/completion.js') },
];

export async function loadCommand(name: string): Promise<CliCommand | undefined> {
  const entry = COMMANDS.find((c) => c.name === name);
  return entry ? (await entry.load()).command : undefined;
}

export async function loadCommands(): Promise<CliCommand[]> {
  return Promise.all(COMMANDS.map(async (c) => (await c.load()).command));
}
