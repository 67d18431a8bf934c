// Checks of the report's tables against the compiled stages: the stages they name and the row forms.
import type { LoadedPlugin } from '../plugin/registry.js';
import type { Diagnostic } from '../recipe/diagnostic.js';
import { didYouMean } from '../util/suggest.js';
import type { Problems } from './problems.js';
import type { TableSpec } from './types.js';

const ROW_FORMS = 'item, item.<field>, iter, params.<path> or node';

export function tableProblems(tables: TableSpec[], stageIds: string[], plugins: Map<string, LoadedPlugin>, problems: Problems): void {
  tables.forEach((t, i) => {
    const named = Array.isArray(t.stage) ? t.stage : [t.stage];
    named.forEach((stage, j) => {
      if (stageIds.includes(stage)) return;
      const path = Array.isArray(t.stage) ? ['report', 'tables', i, 'stage', j] : ['report', 'tables', i, 'stage'];
      problems.at(path, `unknown stage '${stage}'`, { hint: didYouMean(stage, stageIds) ?? `expected one of: ${stageIds.join(', ')}` });
    });
    if (typeof t.row === 'string') rowProblem(t.row, named.filter((s) => plugins.has(s)), plugins, ['report', 'tables', i, 'row'], problems);
  });
}

function rowProblem(row: string, stages: string[], plugins: Map<string, LoadedPlugin>, path: (string | number)[], problems: Problems): void {
  const [head, ...rest] = row.split('.');
  if (['item', 'iter', 'iteration', 'node'].includes(head) && (rest.length === 0 || head === 'item')) return;
  if (head === 'params' && rest.length > 0 && rest.every((s) => s !== '')) {
    for (const stage of stages) {
      const plugin = plugins.get(stage)!;
      const schema = plugin.def.params as { properties?: Record<string, unknown>; additionalProperties?: unknown } | undefined;
      const known = Object.keys(schema?.properties ?? {});
      // Only a closed schema says which params exist.
      if (schema?.additionalProperties !== false || known.includes(rest[0])) continue;
      problems.at(path, `row '${row}': plugin '${plugin.def.id}' of stage '${stage}' has no param '${rest[0]}'`, {
        hint: didYouMean(rest[0], known) ?? (known.length ? `expected one of: ${known.join(', ')}` : 'this plugin takes no params'),
        notes: didYouMean(rest[0], known) && known.length ? [`expected one of: ${known.join(', ')}`] : undefined,
      });
      return;
    }
    return;
  }
  const guess = didYouMean(head, ['item', 'iter', 'node', 'params']);
  problems.at(path, `unknown row form '${row}'`, { hint: guess ?? `expected ${ROW_FORMS}`, notes: guess ? [`expected ${ROW_FORMS}`] : undefined });
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
