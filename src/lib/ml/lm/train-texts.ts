// Training text for built-in language models: every train row of every task folder, rendered
// as the LLM-R demonstration the evaluator will put in prompts ("query\nanswer"), plus the
// newline that ends an answer so greedy generation learns where to stop.

import { listTaskFolders, loadTaskFolder, readTaskMeta } from '../../data/task-folder.js';
import { renderDemonstration, taskSpecFor } from '../../tasks/registry.js';

export interface DemonstrationTexts {
  texts: string[];
  /** Rows used per task. */
  perTask: Record<string, number>;
}

export interface DemonstrationTextOptions {
  /** Splits to read (default ["train"]); folders without them are skipped. */
  splits?: string[];
  /** Read at most this many rows of each split. */
  maxRowsPerTask?: number;
}

/** `root` is a task folder or a directory of task folders (the tasks plugin's output). */
export async function demonstrationTexts(root: string, opts: DemonstrationTextOptions = {}): Promise<DemonstrationTexts> {
  const splits = opts.splits ?? ['train'];
  const texts: string[] = [];
  const perTask: Record<string, number> = {};
  for (const dir of await listTaskFolders(root)) {
    const meta = await readTaskMeta(dir);
    const present = splits.filter((s) => s in meta.splits);
    if (present.length === 0) continue;
    const maxRows = opts.maxRowsPerTask === undefined ? undefined : Object.fromEntries(present.map((s) => [s, opts.maxRowsPerTask as number]));
    const loaded = await loadTaskFolder(dir, { splits: present, maxRows });
    const spec = taskSpecFor(loaded.meta);
    let n = 0;
    for (const s of present) {
      for (const row of loaded.splits[s]!) {
        texts.push(`${renderDemonstration(spec, row)}\n`);
        n++;
      }
    }
    perTask[meta.name] = n;
  }
  return { texts, perTask };
}
