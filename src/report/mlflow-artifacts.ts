// The rendered tables as artifacts of a run's parent MLflow run: Markdown and LaTeX of every table,
// one CSV per table. Logged when the run finishes, before the tracker closes the parent run.
import type { RunSubscriber } from '../exec/events.js';
import type { Plan } from '../graph/plan.js';
import type { CompiledRecipe } from '../graph/types.js';
import type { Store } from '../store/store.js';
import type { RunObserver } from '../track/observer.js';

export interface ArtifactFile { path: string; content: string }

function slug(text: string): string {
  return text.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 60) || 'table';
}

/** The files: tables/tables.md, tables/tables.tex and tables/<n>-<title>.csv (CSV holds one table). */
export async function tableArtifacts(recipe: CompiledRecipe, plan: Plan, store: Store): Promise<ArtifactFile[]> {
  if (!recipe.tables.length) return [];
  // Loaded only for a recipe with tables: a no-op run of one without loads none of the report code.
  const [{ tableTitle }, { collectTableRows }, { renderTable, renderTables }] = await Promise.all([
    import('./cell-text.js'), import('./collect.js'), import('./render.js'),
  ]);
  const tables = await collectTableRows(recipe, plan, store);
  return [
    { path: 'tables/tables.md', content: renderTables(recipe.tables, tables, 'markdown', { provenance: true }) + '\n' },
    { path: 'tables/tables.tex', content: renderTables(recipe.tables, tables, 'latex') + '\n' },
    ...tables.map((t, i) => ({ path: `tables/${i + 1}-${slug(tableTitle(t))}.csv`, content: renderTable(t, 'csv') + '\n' })),
  ];
}

/**
 * The tracking subscriber, with the tables logged on the parent run when the run finishes: first
 * the artifacts, then the tracker's own end of the run. A run that was cancelled logs none.
 */
export function withTableArtifacts(tracking: RunSubscriber, observer: RunObserver, files: () => Promise<ArtifactFile[]>): RunSubscriber {
  return {
    name: tracking.name,
    ...(tracking.required ? { required: tracking.required } : {}),
    async handle(event) {
      let failure: unknown;
      if (event.type === 'run-finished' && event.status !== 'cancelled' && observer.runArtifacts) {
        try {
          const found = await files();
          if (found.length) await observer.runArtifacts(found);
        } catch (err) {
          failure = err;
        }
      }
      // The parent run is finished even when the tables could not be made; the failure is then reported as a warning.
      const reply = await tracking.handle(event);
      if (failure) throw failure;
      return reply;
    },
    ...(tracking.close ? { close: () => tracking.close!() } : {}),
  };
}
