// An entry holds exactly the files of its manifest: whatever a node writes outside the folders of its
// declared output ports (beside them in out/, or next to out/ in the entry) fails the node.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

/** Files the node runner itself keeps next to out/ while a node runs (removed before publishing). */
export const RUNNER_FILES = ['params.json', 'inputs.json'];
/** What the store puts next to out/ in a staging area. */
const STORE_FILES = ['out', 'log.txt'];

/** Paths (relative to the node's output folder) that lie outside every declared port. */
export function strayOutputs(outDir: string, ports: readonly string[]): string[] {
  const declared = new Set(ports);
  const inside = readdirSync(outDir).filter((name) => !declared.has(name)).sort();
  const allowedBeside = new Set([...STORE_FILES, ...RUNNER_FILES]);
  const beside = readdirSync(join(outDir, '..')).filter((name) => !allowedBeside.has(name)).sort().map((name) => `../${name}`);
  return [...inside, ...beside];
}

export function strayOutputsMessage(stray: readonly string[], ports: readonly string[]): string {
  const shown = stray.slice(0, 5).map((p) => `'${p}'`).join(', ') + (stray.length > 5 ? ` and ${stray.length - 5} more` : '');
  return `the node wrote outside its output port${ports.length === 1 ? '' : 's'} (${ports.join(', ')}): ${shown} (relative to its output folder $RETORT_OUT); write only inside the port folders`;
}
