import { describe, expect, it, vi } from 'vitest';
import { JobWatch } from '../../src/exec/slurm/follow.js';
import type { JobState, JobStatus } from '../../src/exec/slurm/states.js';

const pending: JobState = { phase: 'pending', reason: 'Priority', hopeless: false };
const running: JobState = { phase: 'running', state: 'RUNNING' };
const done: JobState = { phase: 'ended', verdict: 'COMPLETED', exitCode: 0 };
const job = (id: string, state: JobState, arrayTask?: number): JobStatus => {
  const submittedId = id.split('_')[0]!;
  return { id, submittedId, ...(arrayTask === undefined ? {} : { arrayTask }), state };
};

/** A query that answers from a script of listings, one per call, and records what it was asked. */
function scripted(listings: JobStatus[][]) {
  const asked: string[][] = [];
  const query = vi.fn(async (ids: string[]) => { asked.push(ids); return listings[Math.min(asked.length - 1, listings.length - 1)]!; });
  return { query, asked };
}

describe('following jobs', () => {
  it('asks about every unfinished job in one query per poll, and stops asking about ended ones', async () => {
    const { query, asked } = scripted([
      [job('1', running), job('2', pending), job('3_0', pending, 0), job('3_1', pending, 1)],
      [job('1', done), job('2', running), job('3_0', done, 0), job('3_1', running, 1)],
      [job('2', done), job('3_0', done, 0), job('3_1', done, 1)],
    ]);
    const watch = new JobWatch({ query, sleep: async () => undefined });
    watch.add(['1', '2', '3']);
    const final = await watch.run();
    expect(asked).toEqual([['1', '2', '3'], ['1', '2', '3'], ['2', '3']]);
    expect([...final.keys()].sort()).toEqual(['1', '2', '3_0', '3_1']);
    expect(watch.of('3').map((s) => s.state.phase)).toEqual(['ended', 'ended']);
  });

  it('keeps following a reopened job while its old end is listed, until it is listed otherwise or the old end goes stale', async () => {
    const killed: JobState = { phase: 'ended', verdict: 'FAILED', reason: 'NonZeroExitCode', exitCode: 1 };
    const { query, asked } = scripted([[job('1', killed)], [job('1', killed)], [job('1', killed)], [job('1', pending)], [job('1', running)], [job('1', done)]]);
    const watch = new JobWatch({ query, sleep: async () => undefined });
    watch.add(['1']);
    await watch.poll();
    expect(watch.unfinished).toEqual([]);
    watch.reopen('1');
    await watch.run();
    expect(asked).toHaveLength(6);
    expect(watch.statuses.get('1')!.state).toEqual(done);

    vi.useFakeTimers();
    try {
      const stuck = scripted([[job('2', killed)]]);
      const sleep = async (ms: number) => { vi.advanceTimersByTime(ms); };
      const late = new JobWatch({ query: stuck.query, staleEndMs: 60_000, minIntervalMs: 10_000, maxIntervalMs: 10_000, sleep });
      late.add(['2']);
      await late.poll();
      late.reopen('2');
      await late.run();
      // Listed unchanged for longer than staleEndMs: it was the job's end after all.
      expect(stuck.asked.length).toBeGreaterThan(6);
      expect(stuck.asked.length).toBeLessThan(10);
    } finally {
      vi.useRealTimers();
    }
  });

  it('backs off while nothing changes and polls fast again after a change', async () => {
    const { query } = scripted([[job('1', pending)], [job('1', pending)], [job('1', pending)], [job('1', running)], [job('1', done)]]);
    const waits: number[] = [];
    const watch = new JobWatch({ query, minIntervalMs: 100, maxIntervalMs: 300, backoff: 2, sleep: async (ms) => { waits.push(ms); } });
    watch.add(['1']);
    await watch.run();
    // first listing is a change (new job), then two quiet polls (200, then capped at 300), then changes
    expect(waits).toEqual([100, 200, 300, 100]);
  });

  it('reports each change once, to onChange', async () => {
    const { query } = scripted([[job('1', pending)], [job('1', pending)], [job('1', done)]]);
    const seen: string[] = [];
    const watch = new JobWatch({ query, sleep: async () => undefined, onChange: (c) => seen.push(...c.map((s) => `${s.id}:${s.state.phase}`)) });
    watch.add(['1']);
    await watch.run();
    expect(seen).toEqual(['1:pending', '1:ended']);
  });

  it('a job Slurm stops listing is UNKNOWN after a few polls, not followed for ever', async () => {
    const { query } = scripted([[job('1', running)], []]);
    const watch = new JobWatch({ query, missingPolls: 2, sleep: async () => undefined });
    watch.add(['1', '9']);
    const final = await watch.run();
    expect(final.get('1')!.state).toEqual({ phase: 'ended', verdict: 'UNKNOWN', reason: 'Slurm no longer lists this job' });
    expect(final.get('9')!.state).toMatchObject({ verdict: 'UNKNOWN' });
    expect(query).toHaveBeenCalledTimes(3);
  });

  it('an array task that ended keeps its verdict when the array drops out of the listing', async () => {
    const { query } = scripted([[job('3_0', done, 0), job('3_1', running, 1)], []]);
    const watch = new JobWatch({ query, missingPolls: 1, sleep: async () => undefined });
    watch.add(['3']);
    const final = await watch.run();
    expect(final.get('3_0')!.state).toEqual(done);
    expect(final.get('3_1')!.state).toMatchObject({ verdict: 'UNKNOWN', reason: 'Slurm no longer lists this job' });
  });

  it('jobs added while following are followed too', async () => {
    let calls = 0;
    const watch: JobWatch = new JobWatch({
      sleep: async () => undefined,
      query: async (ids) => {
        calls++;
        if (calls === 1) { watch.add(['2']); return [job('1', running)]; }
        return ids.map((id) => job(id, done));
      },
    });
    watch.add(['1']);
    const final = await watch.run();
    expect([...final.keys()].sort()).toEqual(['1', '2']);
  });

  it('stops when aborted, with the abort reason', async () => {
    const controller = new AbortController();
    const watch = new JobWatch({ query: async () => [job('1', pending)], sleep: async () => { controller.abort(new Error('interrupted')); } });
    watch.add(['1']);
    await expect(watch.run(controller.signal)).rejects.toThrow('interrupted');
  });
});

describe('arrays Slurm lists as one line', () => {
  it('an array cancelled before any task was split off ends every task seen before, and is no longer followed', async () => {
    const cancelled: JobState = { phase: 'ended', verdict: 'CANCELLED', reason: 'JobHeldUser' };
    const { query, asked } = scripted([
      [job('7_0', pending, 0), job('7_1', pending, 1)],
      [{ id: '7', submittedId: '7', state: cancelled }],
    ]);
    const watch = new JobWatch({ query, sleep: async () => undefined });
    watch.add(['7']);
    const final = await watch.run();
    expect(asked).toEqual([['7'], ['7']]);
    expect(final.get('7_0')!.state).toEqual(cancelled);
    expect(final.get('7_1')!.state).toEqual(cancelled);
  });
});
