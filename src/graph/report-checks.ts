// Checks of the report's tables against the compiled stages: the stages they name, the row and
// column forms, the keys that depend on each other (a pivot's one metric, `best` per metric), and,
// once a sweep is compiled, the axes that `trial.<path>` names.
import type { LoadedPlugin } from '../plugin/registry.js';
import type { Diagnostic } from '../recipe/diagnostic.js';
import { didYouMean } from '../util/suggest.js';
import { Problems } from './problems.js';
import type { CompiledRecipe, TableSpec } from './types.js';

const LABEL_FORMS = 'item, item.<field>, iter, params.<path>, node, stage, trial or trial.<axis path>';

export function tableProblems(tables: TableSpec[], stageIds: string[], plugins: Map<string, LoadedPlugin>, problems: Problems): void {
  tables.forEach((t, i) => {
    const at = (...rest: (string | number)[]) => ['report', 'tables', i, ...rest];
    const named = Array.isArray(t.stage) ? t.stage : [t.stage];
    named.forEach((stage, j) => {
      if (stageIds.includes(stage)) return;
      problems.at(Array.isArray(t.stage) ? at('stage', j) : at('stage'), `unknown stage '${stage}'`, { hint: didYouMean(stage, stageIds) ?? `expected one of: ${stageIds.join(', ')}` });
    });
    const loaded = named.filter((s) => plugins.has(s));
    for (const key of ['row', 'column'] as const) {
      if (typeof t[key] === 'string') labelProblem(key, t[key]!, loaded, stageIds, plugins, at(key), problems);
    }
    if (t.column !== undefined && Array.isArray(t.metrics) && (t.metrics.length !== 1 || t.metrics.some((m) => m.includes('*')))) {
      problems.at(at('metrics'), `a table with \`column: ${t.column}\` takes one metric (its cells), got ${t.metrics.length === 1 ? `the glob '${t.metrics[0]}'` : `${t.metrics.length}: ${t.metrics.join(', ')}`}`, {
        hint: 'name one metric, or drop `column` to get one column per metric',
      });
    }
    if (t.summary === 'trials') {
      for (const key of ['row', 'column', 'transpose', 'average'] as const) {
        if (t[key] !== undefined) problems.at(at(key), `\`${key}\` does not apply to a sweep summary (\`summary: trials\`): its rows are the trials`, { hint: `remove \`${key}\`, or make a separate table` }, true);
      }
    }
    if (t.best && typeof t.best === 'object' && Array.isArray(t.metrics)) bestProblems(t, at('best'), problems);
  });
}

/** Keys of a per-metric `best`: a metric (or glob) of the table, a name one of its globs matches, or Avg. */
function bestProblems(t: TableSpec, path: (string | number)[], problems: Problems): void {
  const globs = t.metrics.filter((m) => m.includes('*')).map((g) => new RegExp(`^${g.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\/]/g, '\\$&')).join('.*')}$`));
  const known = [...t.metrics, ...(t.average ? ['Avg'] : [])];
  for (const key of Object.keys(t.best as Record<string, string>)) {
    if (known.includes(key) || globs.some((re) => re.test(key))) continue;
    problems.at([...path, key], `best: '${key}' is not a metric of this table`, {
      hint: didYouMean(key, known) ?? `expected one of: ${known.join(', ')}`,
      notes: didYouMean(key, known) ? [`expected one of: ${known.join(', ')}`] : undefined,
    }, true);
  }
}

function labelProblem(key: 'row' | 'column', expr: string, stages: string[], stageIds: string[], plugins: Map<string, LoadedPlugin>, path: (string | number)[], problems: Problems): void {
  const [head = '', ...rest] = expr.split('.'); // split gives at least one part
  if (['item', 'iter', 'iteration', 'node', 'stage', 'trial'].includes(head) && (rest.length === 0 || head === 'item' || head === 'trial')) {
    if (head === 'trial' && rest.length) trialPathProblem(key, expr, rest, stageIds, path, problems);
    return;
  }
  const [param] = rest;
  if (head === 'params' && param !== undefined && rest.every((s) => s !== '')) {
    for (const stage of stages) {
      const plugin = plugins.get(stage)!;
      const schema = plugin.def.params as { properties?: Record<string, unknown>; additionalProperties?: unknown } | undefined;
      const known = Object.keys(schema?.properties ?? {});
      // Only a closed schema says which params exist.
      if (schema?.additionalProperties !== false || known.includes(param)) continue;
      problems.at(path, `${key} '${expr}': plugin '${plugin.def.id}' of stage '${stage}' has no param '${param}'`, {
        hint: didYouMean(param, known) ?? (known.length ? `expected one of: ${known.join(', ')}` : 'this plugin takes no params'),
        notes: didYouMean(param, known) && known.length ? [`expected one of: ${known.join(', ')}`] : undefined,
      });
      return;
    }
    return;
  }
  const guess = didYouMean(head, ['item', 'iter', 'node', 'params', 'stage', 'trial']);
  problems.at(path, `unknown ${key} form '${expr}'`, { hint: guess ?? `expected ${LABEL_FORMS}`, notes: guess ? [`expected ${LABEL_FORMS}`] : undefined });
}

/** `trial.<override path>`: the path's shape, and the stage it names, are checkable before the sweep is. */
function trialPathProblem(key: string, expr: string, rest: string[], stageIds: string[], path: (string | number)[], problems: Problems): void {
  if (rest.some((s) => s === '')) {
    problems.at(path, `${key} '${expr}': expected trial.<axis path>, such as trial.vars.seed or trial.stages.<stage>.params.<name>`);
    return;
  }
  if (rest[0] === 'stages' && rest[1] !== undefined && !stageIds.includes(rest[1])) {
    problems.at(path, `${key} '${expr}': unknown stage '${rest[1]}'`, { hint: didYouMean(rest[1], stageIds) ?? `expected one of: ${stageIds.join(', ')}` });
  }
}

/**
 * Checks that need the compiled sweep: `trial`/`trial.<path>` labels and `summary: trials` need a
 * sweep, and the path must be one of its axes. Thrown as located recipe errors.
 */
export function sweepTableProblems(recipe: CompiledRecipe): void {
  const problems = new Problems(recipe.sources, recipe.file);
  const axes = [...new Set((recipe.sweep?.trials ?? []).flatMap((t) => Object.keys(t.assignments)))];
  const notSweep = 'the recipe is not a sweep: add a `sweep:` block, or give an axis on the command line (-S path=a,b --sweep)';
  recipe.tables.forEach((t, i) => {
    if (t.summary === 'trials' && !recipe.sweep) problems.at(['report', 'tables', i, 'summary'], '`summary: trials` needs a sweep', { hint: notSweep });
    for (const key of ['row', 'column'] as const) {
      const expr = t[key];
      if (typeof expr !== 'string' || (expr !== 'trial' && !expr.startsWith('trial.'))) continue;
      const path = ['report', 'tables', i, key];
      if (!recipe.sweep) { problems.at(path, `${key} '${expr}' needs a sweep`, { hint: notSweep }); continue; }
      const axis = expr.slice('trial.'.length);
      if (expr === 'trial' || axes.includes(axis)) continue;
      const guess = didYouMean(axis, axes);
      problems.at(path, `${key} '${expr}': '${axis}' is not an axis of the sweep`, {
        hint: guess ? guess.replace(/'([^']*)'/, "'trial.$1'") : `the sweep's axes: ${axes.join(', ') || 'none'}`,
        notes: guess ? [`the sweep's axes: ${axes.join(', ')}`] : undefined,
      });
    }
  });
  problems.throwIfAny();
}

/** Schema errors about table keys that were removed: say where their job is done now. */
export function explainRemovedTableKeys(found: Diagnostic[]): void {
  for (const d of found) {
    if (/^report\.tables\[\d+\]\.formats$/.test(d.keyPath ?? '')) {
      d.hint = 'the output format is chosen when printing: `retort report <recipe> --format markdown|csv|latex|html [--out FILE]`';
      d.notes = undefined;
    }
  }
}
