import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createDisplay } from '../../src/exec/display.js';
import { nodeId } from '../../src/util/ids.js';

function fakeStream(isTTY: boolean) {
  const chunks: string[] = [];
  return { stream: Object.assign({ write: (c: string) => { chunks.push(c); return true; } }, { isTTY, columns: 100 }) as unknown as NodeJS.WritableStream, text: () => chunks.join('') };
}

beforeEach(() => { vi.useFakeTimers(); });
afterEach(() => { vi.useRealTimers(); });

describe('run display', () => {
  it('on a terminal: a line per running node with its bar, an overall bar with counts, redrawn in place', () => {
    const { stream, text } = fakeStream(true);
    const d = createDisplay(stream);
    d.start({ toRun: 2, hits: 1, nodes: 3 });
    const train = nodeId('train#0');
    d.nodeEnded(nodeId('cached-one'), 'hit');
    vi.advanceTimersByTime(100);
    d.nodeStarted(train);
    d.nodeProgress(train, 5, 10);
    vi.advanceTimersByTime(100);
    d.nodeLog(train, 'info', 'epoch 1');
    vi.advanceTimersByTime(100);
    d.nodeEnded(train, 'ran');
    d.finish();
    const out = text();
    expect(out).toContain('3 nodes: 1 cached, 2 to run');
    expect(out).toMatch(/· hit\s+cached-one/);
    expect(out).toMatch(/train#0\s+█{10}░{10} 50%/);
    expect(out).toContain('hit 1  ran 0  failed 0');
    expect(out).toMatch(/ 1\/3  hit 1/);       // the overall bar counts hits as done
    expect(out).toContain('\x1b[');           // cursor movement: the live area is redrawn
    expect(out).toContain('  train#0 | epoch 1');
    expect(out).toMatch(/✓ ran\s+train#0/);
    expect(out).toMatch(/✓ ran\s+train#0 \(200ms\)\n(.*\n)*\x1b\[\d+A\x1b\[J$/); // finish erases the live area
  });

  it('on a terminal: many hits are counted, not listed; a burst of lines is drawn in a few batches', () => {
    const { stream, text } = fakeStream(true);
    const d = createDisplay(stream);
    d.start({ toRun: 1, hits: 5000, nodes: 5001 });
    for (let i = 0; i < 5000; i++) {
      d.nodeLog(nodeId(`n${i}`), 'info', `line of n${i}`, true);
      d.nodeEnded(nodeId(`n${i}`), 'hit');
    }
    vi.advanceTimersByTime(60);
    const out = text();
    expect(out).not.toMatch(/· hit/);
    expect(out).toContain('  n4999 (cached) | line of n4999');
    expect(out).toContain(' 5000/5001  hit 5000');
    // Redraws happen per time slice, not per line: a handful of bars for 5,000 lines.
    expect((out.match(/hit \d+  ran/g) ?? []).length).toBeLessThan(5);
    d.finish();
  });

  it('elsewhere: plain lines, no escape codes', () => {
    const { stream, text } = fakeStream(false);
    const d = createDisplay(stream);
    d.start({ toRun: 1, hits: 0, nodes: 1 });
    const a = nodeId('a');
    d.nodeStarted(a);
    d.nodeProgress(a, 1, 2);
    d.nodeEnded(a, 'failed', 'boom');
    d.finish();
    expect(text()).not.toContain('\x1b[');
    expect(text()).toMatch(/\[start\] a\n\[failed\] a \(\d+ms\): boom\n/);

    const few = fakeStream(false);
    const f = createDisplay(few.stream);
    f.start({ toRun: 0, hits: 2, nodes: 2 });
    f.nodeEnded(nodeId('x'), 'hit');
    expect(few.text()).toContain('[hit] x');
    const many = fakeStream(false);
    const m = createDisplay(many.stream);
    m.start({ toRun: 0, hits: 60, nodes: 60 });
    for (let i = 0; i < 60; i++) m.nodeEnded(nodeId(`n${i}`), 'hit');
    expect(many.text()).toBe('60 nodes: 60 cached, 0 to run\n');
  });
});
