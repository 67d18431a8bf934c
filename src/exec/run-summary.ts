// The lines a finished run ends with: what it did, and why each failed node failed.
import { failureMessage } from './failure.js';
import type { RunResult } from './run-plan.js';

export function summaryLine(run: RunResult): string {
  const c = run.counts;
  const counts = `${c.ran} ran, ${c.hit} cached, ${c.failed} failed${c.skipped ? `, ${c.skipped} skipped` : ''}${c.cancelled ? `, ${c.cancelled} cancelled` : ''}`;
  const nothing = c.ran === 0 && run.status === 'ok' ? 'nothing to do: every node was cached. ' : '';
  return `${nothing}${counts} in ${((run.endedAt - run.startedAt) / 1000).toFixed(1)}s (run ${run.runId})`;
}

export function failureLines(run: RunResult): string[] {
  return [...run.nodes.values()]
    .filter((n) => n.outcome === 'failed')
    .map((n) => `failed: ${n.id}: ${n.failure ? failureMessage(n.failure) : 'unknown error'}`);
}
