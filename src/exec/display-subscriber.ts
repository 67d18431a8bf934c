// The display as a subscriber of the run's events.
import type { Display } from './display.js';
import type { NodeResult, Recomputed, RunEvent, RunSubscriber } from './events.js';
import { failureMessage } from './failure.js';

export function displaySubscriber(display: Display): RunSubscriber {
  return {
    name: 'display',
    handle(event: RunEvent): void {
      switch (event.type) {
        case 'run-started': display.start(event.totals); break;
        case 'warning': display.message(`warning: ${event.message}`); break;
        case 'node-cached': display.nodeEnded(event.node.id, 'hit', event.detail); break;
        case 'nodes-cached': for (const { node } of event.nodes) display.nodeEnded(node.id, 'hit'); break;
        case 'node-started': display.nodeStarted(event.node.id); break;
        case 'node-log': display.nodeLog(event.nodeId, event.level, event.line, event.cached || undefined); break;
        case 'node-progress': display.nodeProgress(event.nodeId, event.done, event.total); break;
        case 'node-queued': display.nodeQueued(event.nodeId, event.reason); break;
        case 'node-retry': display.nodeRetry(event.nodeId, `${event.reason}; attempt ${event.attempt}${event.maxAttempts ? ` of ${event.maxAttempts}` : ''}`); break;
        case 'node-finished': display.nodeEnded(event.node.id, event.result.outcome, endDetail(event.result)); break;
        case 'run-finished': display.finish(); break;
        case 'run-planned': case 'node-metric': case 'node-submitted': break;
      }
    },
  };
}

/** After the outcome: the node whose work it shared, or why it failed (a cancel says enough by itself). */
function endDetail(result: NodeResult): string | undefined {
  if (result.sameKeyAs) return `same key as ${result.sameKeyAs}`;
  if (result.outcome === 'ran') return result.recomputed ? recomputedDetail(result.recomputed) : undefined;
  if (result.failure.kind === 'cancelled') return undefined;
  return failureMessage(result.failure);
}

/** A forced node: did it reproduce the entry it replaced, byte for byte? */
function recomputedDetail(r: Recomputed): string {
  if (r.identical) return 'outputs identical to the entry it replaced';
  const shown = r.changed.slice(0, 3).join(', ');
  const more = r.changed.length > 3 ? ` and ${r.changed.length - 3} more` : '';
  return `outputs differ from the entry it replaced (${r.changed.length} file${r.changed.length === 1 ? '' : 's'}: ${shown}${more})`;
}
