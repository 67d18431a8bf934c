// Progress on a terminal: partial progress moves the overall bar, the ETA follows throughput
// (checked on a synthetic run with a fake clock), narrow terminals get no wrapped lines, and the
// shell plugin's `::progress` lines are progress, not log lines.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createDisplay, EtaEstimator } from '../../src/exec/display.js';
import { nodeId } from '../../src/util/ids.js';
import shell from '../../plugins/shell/index.js';
import { runPlugin } from '../plugins/ctx.js';

function terminal(columns: number) {
  const chunks: string[] = [];
  const stream = Object.assign({ write: (c: string) => { chunks.push(c); return true; } }, { isTTY: true, columns }) as unknown as NodeJS.WritableStream;
  /** The live area as last drawn: the lines after the last cursor movement. */
  const lastFrame = () => chunks.join('').split(/\x1b\[\d+A\x1b\[J/).pop()!.trimEnd().split('\n');
  return { stream, text: () => chunks.join(''), lastFrame };
}

beforeEach(() => { vi.useFakeTimers({ now: 0 }); });
afterEach(() => { vi.useRealTimers(); });

describe('progress display', () => {
  it('the ETA of four 10 s nodes on two slots is the real remaining time at each point', () => {
    const t = terminal(120);
    const d = createDisplay(t.stream);
    d.start({ toRun: 4, hits: 0, nodes: 4 });
    vi.advanceTimersByTime(3000); // planning and replaying hits do not count
    d.nodeStarted(nodeId('a')); d.nodeStarted(nodeId('b'));
    vi.advanceTimersByTime(5000);
    d.nodeProgress(nodeId('a'), 5, 10); d.nodeProgress(nodeId('b'), 5, 10);
    vi.advanceTimersByTime(100);
    expect(t.lastFrame().at(-1)).toMatch(/ eta 15\.\ds$/);
    vi.advanceTimersByTime(4900);
    d.nodeEnded(nodeId('a'), 'ran'); d.nodeEnded(nodeId('b'), 'ran');
    d.nodeStarted(nodeId('c')); d.nodeStarted(nodeId('d'));
    vi.advanceTimersByTime(5000);
    d.nodeProgress(nodeId('c'), 1, 2); d.nodeProgress(nodeId('d'), 1, 2);
    vi.advanceTimersByTime(100);
    expect(t.lastFrame().at(-1)).toMatch(/ eta 5\.\ds$/);
    d.finish();
  });

  it('the overall bar counts the partial progress of running nodes', () => {
    const t = terminal(120);
    const d = createDisplay(t.stream);
    d.start({ toRun: 2, hits: 0, nodes: 2 });
    d.nodeStarted(nodeId('a'));
    vi.advanceTimersByTime(100);
    d.nodeProgress(nodeId('a'), 1, 2);
    vi.advanceTimersByTime(100);
    // 0.5 of 2 nodes: a quarter of a 30-cell bar.
    expect(t.lastFrame().at(-1)).toMatch(/^█{8}░{22} 0\/2 /);
    d.finish();
  });

  it('at 50 columns no live line reaches the last column, so redraws leave nothing behind', () => {
    const t = terminal(50);
    const d = createDisplay(t.stream);
    d.start({ toRun: 3, hits: 0, nodes: 3 });
    for (const id of ['a-rather-long-node-name[with-an-item]', 'b', 'c']) d.nodeStarted(nodeId(id));
    vi.advanceTimersByTime(60);
    for (let i = 1; i <= 5; i++) {
      d.nodeProgress(nodeId('b'), i, 7);
      vi.advanceTimersByTime(60);
      const frame = t.lastFrame();
      expect(frame).toHaveLength(4);
      for (const line of frame) expect(line.length, line).toBeLessThan(50);
    }
    d.finish();
  });

  it('an estimator says nothing before work is done and nothing when all is done', () => {
    const eta = new EtaEstimator();
    expect(eta.remainingMs(10, 1, 2)).toBeUndefined();
    eta.started(0);
    expect(eta.remainingMs(10, 0, 2)).toBeUndefined();
    expect(eta.remainingMs(10, 1, 2)).toBe(10);
    expect(eta.remainingMs(10, 2, 2)).toBeUndefined();
  });
});

describe('shell plugin', () => {
  let dir: string;
  beforeEach(() => { vi.useRealTimers(); dir = mkdtempSync(join(tmpdir(), 'retort-shell-')); });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('reads ::progress lines as progress, not log lines', async () => {
    const res = await runPlugin(shell, dir, { command: 'echo "::progress 1 4"; echo hello; echo "::progress 4 4"' }, {});
    expect(res.progress).toEqual([[1, 4], [4, 4]]);
    expect(res.logs).toEqual(['hello']);
  });
});
