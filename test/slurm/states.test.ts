import { describe, expect, it } from 'vitest';
import { describeState, parseSqueue, parseWaitStatus, slurmTime, squeueArgs, toState } from '../../src/exec/slurm/states.js';

// Lines printed by `squeue <squeueArgs>` on the local Slurm 22.05 cluster (scripts/slurm-local.sh).
const CAPTURED = [
  '1|1|N/A|COMPLETED|None|2026-12-01T09:30:09|2026-12-01T09:30:12|0|',
  '4|4|N/A|FAILED|NonZeroExitCode|2026-12-01T09:30:12|2026-12-01T09:30:12|768|',
  '5|5|N/A|CANCELLED|DependencyNeverSatisfied|2026-12-01T09:30:13|2026-12-01T09:30:13|0|',
  '18|18|N/A|RUNNING|None|2026-12-01T09:37:38|2026-12-01T09:38:38|0|',
  '16_2|16|2|PENDING|None|N/A|N/A|0|',
  '17|17|N/A|PENDING|BeginTime|2026-12-01T09:34:24|NONE|0|',
  '9|9|N/A|PENDING|PartitionConfig|N/A|N/A|0|',
  '18|18|N/A|TIMEOUT|TimeLimit|2026-12-01T09:37:38|2026-12-01T09:39:07|36608|',
].join('\n') + '\n';

describe('squeue listings', () => {
  it('asks for every state, one line per array task, in one call', () => {
    expect(squeueArgs(['1', '16'])).toEqual([
      '--noheader', '--array', '--states=all', '--jobs=1,16',
      '--Format=JobArrayID:|,ArrayJobID:|,ArrayTaskID:|,State:|,Reason:|,StartTime:|,EndTime:|,exit_code:|,RestartCnt:|',
    ]);
  });

  it('reads real lines into typed states', () => {
    const [completed, failed, cancelled, running, task, begin, hopeless, timeout] = parseSqueue(CAPTURED);
    expect(completed).toEqual({ id: '1', submittedId: '1', state: { phase: 'ended', verdict: 'COMPLETED', exitCode: 0, startedAt: slurmTime('2026-12-01T09:30:09'), endedAt: slurmTime('2026-12-01T09:30:12') } });
    expect(failed!.state).toMatchObject({ phase: 'ended', verdict: 'FAILED', exitCode: 3, reason: 'NonZeroExitCode' });
    expect(cancelled!.state).toMatchObject({ phase: 'ended', verdict: 'CANCELLED', reason: 'DependencyNeverSatisfied' });
    expect(running!.state).toEqual({ phase: 'running', state: 'RUNNING', startedAt: slurmTime('2026-12-01T09:37:38') });
    expect(task).toEqual({ id: '16_2', submittedId: '16', arrayTask: 2, state: { phase: 'pending', reason: 'None', hopeless: false } });
    expect(begin!.state).toEqual({ phase: 'pending', reason: 'BeginTime', hopeless: false });
    expect(hopeless!.state).toEqual({ phase: 'pending', reason: 'PartitionConfig', hopeless: true });
    // sh exits 143 on the SIGTERM Slurm sends at the limit
    expect(timeout!.state).toMatchObject({ phase: 'ended', verdict: 'TIMEOUT', reason: 'TimeLimit', exitCode: 143 });
  });

  it("knows each of Slurm's verdicts", () => {
    for (const verdict of ['TIMEOUT', 'OUT_OF_MEMORY', 'NODE_FAIL', 'PREEMPTED', 'BOOT_FAIL', 'DEADLINE'] as const) {
      expect(toState(verdict, 'None', 'N/A', 'N/A', '0')).toEqual({ phase: 'ended', verdict, exitCode: 0 });
    }
    expect(toState('CANCELLED by 0', 'None', 'N/A', 'N/A', '0')).toMatchObject({ verdict: 'CANCELLED' });
    expect(toState('COMPLETING', 'None', 'N/A', 'N/A', '0')).toEqual({ phase: 'running', state: 'COMPLETING' });
    expect(toState('REQUEUED', 'None', 'N/A', 'N/A', '0')).toEqual({ phase: 'pending', reason: 'REQUEUED', hopeless: false });
    expect(toState('SPECIAL_EXIT', 'None', 'N/A', 'N/A', '256')).toEqual({ phase: 'ended', verdict: 'FAILED', reason: 'SPECIAL_EXIT', exitCode: 1 });
  });

  it('an unknown state or a short line is an error, not a silent guess', () => {
    expect(() => toState('WIBBLE', 'None', 'N/A', 'N/A', '0')).toThrow(/unknown Slurm job state "WIBBLE"/);
    expect(() => parseSqueue('1|1|N/A\n')).toThrow(/unexpected squeue line/);
  });

  it('reads wait statuses from squeue (raw) and from scontrol (code:signal)', () => {
    expect(parseWaitStatus('768')).toEqual({ exitCode: 3 });
    expect(parseWaitStatus('9')).toEqual({ exitCode: 0, signal: 9 });
    expect(parseWaitStatus('3:0')).toEqual({ exitCode: 3 });
    expect(parseWaitStatus('0:15')).toEqual({ exitCode: 0, signal: 15 });
    expect(parseWaitStatus('N/A')).toEqual({});
  });

  it('reads Slurm times as local times and N/A, NONE, Unknown as no time', () => {
    expect(slurmTime('2026-12-01T09:30:09')).toBe(new Date(2026, 11, 1, 9, 30, 9).getTime());
    for (const t of ['N/A', 'NONE', 'Unknown']) expect(slurmTime(t)).toBeUndefined();
  });

  it('says a state in a few words', () => {
    const [, failed, cancelled, running, task] = parseSqueue(CAPTURED);
    expect(describeState(failed!.state)).toBe('FAILED (exit code 3)');
    expect(describeState(cancelled!.state)).toBe('CANCELLED (DependencyNeverSatisfied)');
    expect(describeState(running!.state)).toBe('running');
    expect(describeState(task!.state)).toBe('pending (None)');
    expect(describeState({ phase: 'ended', verdict: 'TIMEOUT', exitCode: 0 })).toBe('TIMEOUT');
  });
});

describe('restart counts', () => {
  it('reads how often Slurm requeued a job, and lines from before the field', () => {
    const [requeued, older] = parseSqueue('7|7|N/A|PENDING|BeginTime|N/A|N/A|768|2|\n8|8|N/A|PENDING|None|N/A|N/A|0|\n');
    expect(requeued).toMatchObject({ id: '7', restarts: 2, state: { phase: 'pending', reason: 'BeginTime' } });
    expect(older!.restarts).toBeUndefined();
  });
});
