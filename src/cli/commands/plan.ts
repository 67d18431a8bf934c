import { planRecipe } from '../../graph/plan.js';
import { parse, RECIPE_OPTIONS, SWEEP_OPTION } from '../args.js';
import { prepareCached } from '../prepare-cached.js';
import { EXIT, type CliCommand, type CliIO } from '../command.js';
import { count } from '../../util/plural.js';
import { openStore, runsDirOf, selectedNodes, targetClosure, useCaches } from '../session.js';
import { executorType } from '../executor-choice.js';

export const command: CliCommand = {
  name: 'plan',
  summary: 'show what a run would do: each node, hit or miss, and why',
  help: `Usage: retort plan <recipe.yaml> [options]

Prints every node with its key, whether it is cached (hit) or must run (miss),
and why it misses: new, params changed (which), upstream changed, input changed,
plugin changed, environment or runtime changed, forced, or a corrupt entry.

Options:
  -S, --set path=value   override a recipe value; repeatable
  -m, --sweep            comma lists of -S values are sweep axes (see retort run --help)
      --force STAGE      treat a stage (or node id) as forced; repeatable
      --force-all        treat every node as forced
      --target STAGE     plan only this stage and what it needs; repeatable
      --executor TYPE    the executor a run would use: local or slurm (default: the recipe's)
      --json             machine-readable output
      --runs-dir DIR     default: ./runs`,
  run: async (args: string[], io: CliIO) => {
    const { values, positionals } = parse(args, {
      ...RECIPE_OPTIONS, ...SWEEP_OPTION, force: { type: 'string', multiple: true }, 'force-all': { type: 'boolean' }, target: { type: 'string', multiple: true }, json: { type: 'boolean' }, executor: { type: 'string' },
    }, { min: 1, max: 1, names: 'one recipe file' });
    if (values.help) { io.stdout.write(command.help + '\n'); return EXIT.ok; }
    const runsDir = runsDirOf(values['runs-dir'], io);
    useCaches(runsDir, io.env);
    const cached = await prepareCached(positionals[0], values.set ?? [], values.sweep ?? false, runsDir, io);
    const { prepared } = cached;
    const chosen = executorType(values.executor, prepared.recipe);
    if (prepared.adaptive) {
      // An adaptive search has no DAG of all its trials yet: its settings, shared nodes and logged trials.
      const { planSearch, searchPlanLines } = await import('../../sweep/adaptive/plan-view.js');
      const planned = await planSearch(prepared.adaptive, await openStore(runsDir), runsDir);
      io.stdout.write(values.json ? JSON.stringify(planned, null, 2) + '\n' : searchPlanLines(planned).join('\n') + '\n');
      return EXIT.ok;
    }
    const force = selectedNodes(prepared.recipe, values.force ?? [], '--force');
    const targets = selectedNodes(prepared.recipe, values.target ?? [], '--target');
    const store = await openStore(runsDir);
    await cached.save();
    const plan = await planRecipe(prepared.recipe, prepared.keys, store, { force, forceAll: values['force-all'], targets, explainMisses: true });
    const targeted = targets.length ? targetClosure(prepared.recipe, targets) : undefined;
    const nodes = plan.order.map((id) => plan.nodes.get(id)!).filter((n) => !targeted || targeted.has(n.spec.id));
    const sweep = prepared.recipe.sweep;
    const views = sweep ? await sweepViews() : undefined;
    if (values.json) {
      const list = nodes.map((n) => ({ id: n.spec.id, stage: n.spec.stage, key: n.key,
        status: n.status, run: n.run, reason: n.reason?.kind, detail: n.reason?.detail, ...(sweep ? { trials: n.spec.trials } : {}) }));
      // A sweep adds its trials and counts around the node list.
      io.stdout.write(JSON.stringify(sweep && views ? { sweep: { ...sweep, counts: views.sweepCounts(plan) }, changes: views.sweepChanges(prepared), nodes: list } : list, null, 2) + '\n');
      return EXIT.ok;
    }
    if (views) for (const line of views.sweepChanges(prepared)) io.stdout.write(line + '\n');
    const width = Math.max(4, ...nodes.map((n) => n.spec.id.length));
    // One write for all node lines: a write per line is a system call per node on large recipes.
    const lines: string[] = [];
    for (const n of nodes) {
      const status = n.status === 'hit' ? 'hit ' : n.run ? 'miss' : 'skip';
      const why = n.status === 'hit' ? 'cached' : n.run ? n.reason?.detail ?? '' : `not needed: downstream is cached (${n.reason?.detail ?? ''})`;
      const shared = sweep ? `  ${n.spec.trials?.length === sweep.trials.length ? 'all trials' : count(n.spec.trials?.length ?? 0, 'trial')}`.padEnd(12) : '';
      lines.push(`${status}  ${n.spec.id.padEnd(width)}  ${n.key.slice(0, 12)}${shared}  ${why}\n`);
    }
    io.stdout.write(lines.join(''));
    if (views) io.stdout.write(`\n${views.trialMatrix(plan).join('\n')}\n\n${views.sweepSummary(plan).join('\n')}\n`);
    const toRun = nodes.filter((n) => n.run).length;
    const left = targeted ? `; ${count(plan.order.length - nodes.length, 'node')} not targeted` : '';
    io.stdout.write(`\n${count(nodes.length, 'node')}: ${nodes.filter((n) => n.status === 'hit').length} cached, ${toRun} to run${left}\n`);
    io.stdout.write(`executor: ${chosen.type}${chosen.from === 'default' ? '' : chosen.from === 'recipe' ? ' (from the recipe)' : ''}\n`);
    return EXIT.ok;
  },
};

/** The sweep report helpers, loaded for a sweep only: a plain recipe's plan never needs them. */
async function sweepViews() {
  const [{ sweepChanges }, { sweepCounts, sweepSummary, trialMatrix }] = await Promise.all([import('../../sweep/changes.js'), import('../../sweep/view.js')]);
  return { sweepChanges, sweepCounts, sweepSummary, trialMatrix };
}
