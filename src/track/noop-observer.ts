// The observer used when tracking is disabled (`track: {enabled: false}` or --no-track).

import type { RunObserver, TrackingRef } from './observer.js';

export class NoopObserver implements RunObserver {
  async runStarted(): Promise<void> {}
  async nodeStarted(): Promise<TrackingRef | void> {}
  nodeMetric(): void {}
  async nodeFinished(): Promise<void> {}
  async nodeCached(): Promise<void> {}
  async nodesCached(): Promise<void> {}
  async runFinished(): Promise<void> {}
  async close(): Promise<void> {}
}
