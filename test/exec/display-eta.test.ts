// A running node's line shows an ETA from its progress rate, measured from its first report (a
// training node resumed from a checkpoint starts part way).
import { afterEach, beforeEach, expect, it, vi } from 'vitest';
import { createDisplay } from '../../src/exec/display.js';
import { nodeId } from '../../src/util/ids.js';

beforeEach(() => { vi.useFakeTimers(); });
afterEach(() => { vi.useRealTimers(); });

it('a node line shows eta from the rate since its first progress report', () => {
  const chunks: string[] = [];
  const stream = Object.assign({ write: (c: string) => { chunks.push(c); return true; } }, { isTTY: true, columns: 120 }) as unknown as NodeJS.WritableStream;
  const d = createDisplay(stream);
  d.start({ toRun: 1, hits: 0, nodes: 1 });
  const train = nodeId('train');
  d.nodeStarted(train);
  vi.advanceTimersByTime(5000); // setup time does not count
  d.nodeProgress(train, 10, 30); // resumed at step 10
  vi.advanceTimersByTime(300);
  expect(chunks.join('').split('\n').filter((l) => l.includes('train')).at(-1)).not.toContain('eta');
  vi.advanceTimersByTime(1700);
  d.nodeProgress(train, 15, 30); // 5 steps in 2 s: 15 to go take 6 s
  chunks.length = 0;
  vi.advanceTimersByTime(300); // drawn 0.2–0.3 s later: that much less to go
  expect(chunks.join('')).toMatch(/train\s+█{10}░{10} 50% 7\.\ds eta 5\.[78]s/);
  d.finish();
});
