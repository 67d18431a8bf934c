// A tracker (MLflow, or nothing) as a subscriber of the run's events. Only nodes that started get an
// end: a node skipped, or sharing another's key, has no run of its own.
import type { NodeResult, RunEvent, RunSubscriber, EventReply } from './events.js';
import { failureMessage } from './failure.js';
import type { NodeResult as TrackedResult, RunObserver } from '../track/observer.js';
import type { NodeId } from '../util/ids.js';

export function trackingSubscriber(observer: RunObserver): RunSubscriber {
  const started = new Set<NodeId>();
  return {
    name: 'tracking',
    async handle(event: RunEvent): Promise<EventReply | void> {
      switch (event.type) {
        case 'run-started': return observer.runStarted(event.run);
        case 'node-cached': return observer.nodeCached(event.node, event.producedBy, event.metrics);
        case 'nodes-cached':
          if (observer.nodesCached) return observer.nodesCached(event.nodes);
          for (const { node, producedBy, metrics } of event.nodes) await observer.nodeCached(node, producedBy, metrics);
          return;
        case 'node-started': {
          started.add(event.node.id);
          const ref = await observer.nodeStarted(event.node);
          return ref ? { tracking: ref } : undefined;
        }
        case 'node-metric': return observer.nodeMetric(event.node, event.point);
        case 'node-finished':
          if (!started.delete(event.node.id)) return;
          return observer.nodeFinished(event.node, trackedResult(event.result));
        case 'run-finished': {
          const { status, counts, endedAt } = event;
          return observer.runFinished({ status, hits: counts.hit, ran: counts.ran, failed: counts.failed, endedAt });
        }
      }
    },
    close: () => observer.close(),
  };
}

function trackedResult(result: NodeResult): TrackedResult {
  const startedAt = result.startedAt ?? Date.now();
  const endedAt = result.endedAt ?? startedAt;
  if (result.outcome === 'ran') return { status: 'ok', metrics: result.metrics, startedAt, endedAt, artifactDir: result.artifactDir };
  const status = result.outcome === 'cancelled' ? 'cancelled' : 'failed';
  return { status, metrics: result.metrics, startedAt, endedAt, error: failureMessage(result.failure) };
}
