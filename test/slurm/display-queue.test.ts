// What the display makes of a cluster's queue: Slurm's reasons for queued jobs and retries.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createDisplay, queueReasons } from '../../src/exec/display.js';
import { displaySubscriber } from '../../src/exec/display-subscriber.js';
import { nodeId } from '../../src/util/ids.js';

function fakeStream(isTTY: boolean) {
  const chunks: string[] = [];
  return { stream: Object.assign({ write: (c: string) => { chunks.push(c); return true; } }, { isTTY, columns: 100 }) as unknown as NodeJS.WritableStream, text: () => chunks.join('') };
}

beforeEach(() => { vi.useFakeTimers(); });
afterEach(() => { vi.useRealTimers(); });

describe('queued cluster jobs on the display', () => {
  it('plain lines name each change of reason (not the empty None) and each retry', () => {
    const { stream, text } = fakeStream(false);
    const sub = displaySubscriber(createDisplay(stream));
    sub.handle({ type: 'node-queued', nodeId: nodeId('a'), reason: 'None' });
    sub.handle({ type: 'node-queued', nodeId: nodeId('a'), reason: 'Resources' });
    sub.handle({ type: 'node-retry', nodeId: nodeId('a'), attempt: 2, maxAttempts: 3, reason: 'Slurm job 7 ended PREEMPTED' });
    expect(text()).toBe('[queued] a: Resources\n[retry] a: Slurm job 7 ended PREEMPTED; attempt 2 of 3\n');
  });

  it('a terminal counts queued jobs by reason in its live area, and forgets a job once it starts', () => {
    const { stream, text } = fakeStream(true);
    const d = createDisplay(stream);
    d.start({ toRun: 3, hits: 0, nodes: 3 });
    d.nodeQueued(nodeId('a'), 'Resources');
    d.nodeQueued(nodeId('b'), 'Dependency');
    d.nodeQueued(nodeId('c'), 'Dependency');
    vi.advanceTimersByTime(100);
    expect(text()).toContain('queued 3: Dependency 2, Resources 1');
    d.nodeStarted(nodeId('a'));
    vi.advanceTimersByTime(100);
    expect(text().slice(text().lastIndexOf('\x1b[J'))).toContain('queued 2: Dependency 2');
    d.finish();
  });

  it('sorts reasons by count, then by name', () => {
    expect(queueReasons(new Map([[nodeId('x'), 'Priority'], [nodeId('y'), 'Dependency'], [nodeId('z'), 'Priority']]))).toBe('Priority 2, Dependency 1');
  });
});
