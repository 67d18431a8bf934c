// Which executor a run uses (--executor, else the recipe's `executor:`, else local) and how it is built.
import { join } from 'node:path';
import type { AnyExecutor } from '../exec/executor.js';
import type { SlurmResources } from '../exec/slurm/resources.js';
import type { CompiledRecipe, ExecutorConfig } from '../graph/types.js';
import type { Store } from '../store/store.js';
import { didYouMean } from '../util/suggest.js';
import { UsageError } from './args.js';

export const EXECUTORS = ['local', 'slurm'] as const;
export type ExecutorType = (typeof EXECUTORS)[number];

/** The executor's type and where it was chosen, for messages ("slurm (from the recipe)"). */
export function executorType(option: string | undefined, recipe: CompiledRecipe): { type: ExecutorType; from: 'option' | 'recipe' | 'default' } {
  if (option !== undefined) {
    if (!(EXECUTORS as readonly string[]).includes(option)) {
      const hint = didYouMean(option, EXECUTORS);
      throw new UsageError(`--executor expects ${EXECUTORS.join(' or ')}, got '${option}'${hint ? `; ${hint}` : ''}`);
    }
    return { type: option as ExecutorType, from: 'option' };
  }
  return recipe.executor ? { type: recipe.executor.type, from: 'recipe' } : { type: 'local', from: 'default' };
}

/** The recipe's executor defaults as sbatch resources. */
export function slurmDefaults(config: ExecutorConfig | undefined): SlurmResources {
  if (!config) return {};
  const { partition, account, qos, constraint, timeLimit, sbatchArgs } = config;
  return Object.fromEntries(Object.entries({ partition, account, qos, constraint, timeLimit, extraArgs: sbatchArgs }).filter(([, v]) => v !== undefined));
}

export interface ExecutorContext {
  recipe: CompiledRecipe; store: Store; runsDir: string; runId: string; cwd: string; env: NodeJS.ProcessEnv;
  /** --retries; else the recipe's executor.retries; else the executor's default. */
  retries?: number;
}

/** The executor of a run, its modules loaded when it is made: `plan` only names it, and Slurm's code is for Slurm runs. */
export async function makeExecutor(type: ExecutorType, ctx: ExecutorContext): Promise<AnyExecutor> {
  if (type === 'local') return new (await import('../exec/local-executor.js')).LocalProcessExecutor();
  const [{ SlurmClient }, { SlurmExecutor }] = await Promise.all([import('../exec/slurm/client.js'), import('../exec/slurm/executor.js')]);
  const retries = ctx.retries ?? (ctx.recipe.executor?.type === 'slurm' ? ctx.recipe.executor.retries : undefined);
  return new SlurmExecutor({
    client: new SlurmClient({ env: ctx.env }),
    store: ctx.store,
    // Job specs, logs and results of this run, beside the store (the cluster's nodes must share the folder).
    dir: join(ctx.runsDir, 'slurm', ctx.runId),
    runId: ctx.runId, recipeName: ctx.recipe.name, cwd: ctx.cwd,
    defaults: slurmDefaults(ctx.recipe.executor?.type === 'slurm' ? ctx.recipe.executor : undefined),
    ...(retries === undefined ? {} : { retries }),
  });
}
