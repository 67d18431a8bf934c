// The tables as artifacts of the parent MLflow run: logged when the run finishes and before the
// tracker finishes the parent run; a failure to make them still lets the parent run finish.
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import type { RunEvent, RunSubscriber } from '../../src/exec/events.js';
import { withTableArtifacts } from '../../src/report/mlflow-artifacts.js';
import { createTracker } from '../../src/track/index.js';
import type { RunObserver } from '../../src/track/observer.js';
import { runInfo } from '../track/helpers.js';

const finished = (status: 'ok' | 'cancelled' = 'ok'): RunEvent => ({ type: 'run-finished', status, counts: { hit: 0, ran: 1, failed: 0 } as never, startedAt: 1, endedAt: 2 });

function recorder() {
  const log: string[] = [];
  const inner: RunSubscriber = { name: 'tracking', handle: (e) => { log.push(`tracker: ${e.type}`); }, close: async () => { log.push('tracker: close'); } };
  const observer = { runArtifacts: async (files: { path: string }[]) => { log.push(`artifacts: ${files.map((f) => f.path).join(', ')}`); } } as unknown as RunObserver;
  return { log, inner, observer };
}

describe('tables as MLflow artifacts', () => {
  it('are logged at the end of the run, before the tracker finishes the parent run; a cancelled run logs none', async () => {
    const { log, inner, observer } = recorder();
    const sub = withTableArtifacts(inner, observer, async () => [{ path: 'tables/tables.md', content: '# t\n' }, { path: 'tables/1-t.csv', content: 'a\n' }]);
    await sub.handle({ type: 'warning', message: 'x' });
    await sub.handle(finished());
    await sub.close!();
    expect(log).toEqual(['tracker: warning', 'artifacts: tables/tables.md, tables/1-t.csv', 'tracker: run-finished', 'tracker: close']);
    const cancelled = recorder();
    await withTableArtifacts(cancelled.inner, cancelled.observer, async () => [{ path: 'x', content: '' }]).handle(finished('cancelled'));
    expect(cancelled.log).toEqual(['tracker: run-finished']);
  });

  it('a failure to render them is reported, and the parent run is still finished', async () => {
    const { log, inner, observer } = recorder();
    const sub = withTableArtifacts(inner, observer, async () => { throw new Error('store unreadable'); });
    await expect(sub.handle(finished())).rejects.toThrow('store unreadable');
    expect(log).toEqual(['tracker: run-finished']);
  });

  describe('on the local MLflow store', () => {
    let runsDir: string;
    beforeEach(async () => {
      runsDir = await mkdtemp(join(tmpdir(), 'retort-table-artifacts-'));
      return () => rm(runsDir, { recursive: true, force: true });
    });

    it('land in the parent run\'s artifacts', async () => {
      const warnings: string[] = [];
      const t = createTracker({ enabled: true, experiment: 'tables' }, { runsDir, env: {}, warn: (m) => warnings.push(m), flushIntervalMs: 0 });
      await t.runStarted(runInfo({}, { experiment: 'tables' }));
      await t.runArtifacts!([{ path: 'tables/tables.md', content: '| a |\n' }]);
      await t.runFinished({ status: 'ok', hits: 0, ran: 0, failed: 0, endedAt: 5 });
      await t.close();
      expect(warnings).toEqual([]);
      const found: string[] = [];
      const walk = async (dir: string): Promise<void> => {
        for (const e of await readdir(dir, { withFileTypes: true })) {
          if (e.isDirectory()) await walk(join(dir, e.name));
          else if (e.name === 'tables.md') found.push(join(dir, e.name));
        }
      };
      await walk(join(runsDir, 'mlruns'));
      expect(found).toHaveLength(1);
      expect(found[0]).toMatch(/\/artifacts\/tables\/tables\.md$/);
      expect(await readFile(found[0]!, 'utf8')).toBe('| a |\n');
    });
  });
});
