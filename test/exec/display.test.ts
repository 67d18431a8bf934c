import { describe, expect, it } from 'vitest';
import { createDisplay } from '../../src/exec/display.js';

function fakeStream(isTTY: boolean) {
  const chunks: string[] = [];
  return { stream: Object.assign({ write: (c: string) => { chunks.push(c); return true; } }, { isTTY, columns: 100 }) as unknown as NodeJS.WritableStream, text: () => chunks.join('') };
}

describe('run display', () => {
  it('on a terminal: a line per running node with its bar, an overall bar with counts, redrawn in place', () => {
    const { stream, text } = fakeStream(true);
    const d = createDisplay(stream);
    d.start({ toRun: 2, hits: 1, nodes: 3 });
    d.nodeEnded('cached-one', 'hit');
    d.nodeStarted('train#0');
    d.nodeProgress('train#0', 5, 10);
    d.nodeLog('train#0', 'info', 'epoch 1');
    d.nodeEnded('train#0', 'ran');
    d.finish();
    const out = text();
    expect(out).toContain('3 nodes: 1 cached, 2 to run');
    expect(out).toMatch(/train#0\s+█{10}░{10} 50%/);
    expect(out).toContain('hit 1  ran 1  failed 0');
    expect(out).toMatch(/1\/2/);
    expect(out).toContain('\x1b[');           // cursor movement: the live area is redrawn
    expect(out).toContain('  train#0 | epoch 1');
    expect(out).toMatch(/✓ ran\s+train#0/);
  });

  it('elsewhere: plain lines, no escape codes', () => {
    const { stream, text } = fakeStream(false);
    const d = createDisplay(stream);
    d.start({ toRun: 1, hits: 0, nodes: 1 });
    d.nodeStarted('a');
    d.nodeProgress('a', 1, 2);
    d.nodeEnded('a', 'failed', 'boom');
    d.finish();
    expect(text()).not.toContain('\x1b[');
    expect(text()).toMatch(/\[start\] a\n\[failed\] a \(\d+ms\): boom\n/);
  });
});
