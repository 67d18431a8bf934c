import { describe, expect, it } from 'vitest';
import { renderResources, slurmMinutes } from '../../src/exec/slurm/resources.js';
import { batchScript, parseParsable, sbatchArgs, shellQuote } from '../../src/exec/slurm/submit.js';
import { commandError, SlurmError } from '../../src/exec/slurm/errors.js';

describe('sbatch arguments', () => {
  it('renders every resource, in a fixed order, extra arguments last', () => {
    expect(renderResources({
      cpus: 4, memoryMb: 8000, timeLimit: '1:30:00', gpus: 2, partition: 'gpu', account: 'lab', qos: 'high', constraint: 'a100&ib', extraArgs: ['--exclusive'],
    })).toEqual(['--cpus-per-task=4', '--mem=8000M', '--time=90', '--gres=gpu:2', '--partition=gpu', '--account=lab', '--qos=high', '--constraint=a100&ib', '--exclusive']);
  });

  it('asks for nothing it was not given; zero GPUs is no --gres', () => {
    expect(renderResources({})).toEqual([]);
    expect(renderResources({ gpus: 0 })).toEqual([]);
    expect(renderResources({ gpus: 1, gpuGres: 'gpu:a100' })).toEqual(['--gres=gpu:a100:1']);
  });

  it('rounds time limits up to whole minutes, as Slurm counts them', () => {
    expect(slurmMinutes('90s')).toBe(2);
    expect(slurmMinutes('15m')).toBe(15);
    expect(slurmMinutes('2-12')).toBe(3600);
    expect(slurmMinutes('30')).toBe(30);
    expect(() => slurmMinutes('soon')).toThrow(/not a time limit/);
  });

  it('refuses a fractional or negative count', () => {
    expect(() => renderResources({ cpus: 1.5 })).toThrow(/cpus must be a positive whole number/);
    expect(() => renderResources({ memoryMb: -1 })).toThrow(/memoryMb/);
  });

  it('puts dependencies, arrays, the log and the folder before the resources', () => {
    expect(sbatchArgs({
      name: 'train', command: ['true'], afterOk: ['12', '13_2'], array: { count: 8, maxRunning: 3 }, output: '/s/logs/%A_%a.log', cwd: '/s', resources: { cpus: 2 },
    })).toEqual([
      '--parsable', '--job-name=train', '--output=/s/logs/%A_%a.log', '--chdir=/s',
      '--dependency=afterok:12:13_2', '--kill-on-invalid-dep=yes', '--array=0-7%3', '--cpus-per-task=2',
    ]);
    expect(sbatchArgs({ name: 'x', command: ['true'], afterOk: [] })).toEqual(['--parsable', '--job-name=x']);
  });

  it('refuses a dependency that is not a job id and an empty array', () => {
    expect(() => sbatchArgs({ name: 'x', command: ['true'], afterOk: ['12; rm -rf /'] })).toThrow(/not a Slurm job id/);
    expect(() => sbatchArgs({ name: 'x', command: ['true'], array: { count: 0 } })).toThrow(/at least one task/);
  });

  it('writes a script that sets the variables and execs the command, quoted for the shell', () => {
    expect(batchScript({ command: ['node', '/a b/job.js', "it's"], env: { RETORT_X: 'a,b c' } }))
      .toBe(`#!/bin/sh\nexport RETORT_X='a,b c'\nexec node '/a b/job.js' 'it'\\''s'\n`);
    expect(shellQuote('$HOME')).toBe("'$HOME'");
    expect(() => batchScript({ command: [] })).toThrow(/needs a command/);
    expect(() => batchScript({ command: ['true'], env: { 'A-B': '1' } })).toThrow(/not an environment variable name/);
  });

  it('reads the id sbatch --parsable prints, with or without a cluster name', () => {
    expect(parseParsable('12\n')).toBe('12');
    expect(parseParsable('12;retort-local\n')).toBe('12');
    expect(() => parseParsable('')).toThrow(SlurmError);
  });
});

describe('errors from Slurm commands', () => {
  // stderr as sbatch and squeue 22.05 print it (captured on the local cluster)
  it('an unknown partition is a rejection quoting Slurm', () => {
    const e = commandError('sbatch', 1, 'sbatch: error: invalid partition specified: nope\nsbatch: error: Batch job submission failed: Invalid partition name specified\n');
    expect(e.kind).toBe('rejected');
    expect(e.message).toBe('sbatch rejected the job: sbatch: error: invalid partition specified: nope; sbatch: error: Batch job submission failed: Invalid partition name specified');
  });

  it('a controller that does not answer is unreachable, whichever command', () => {
    expect(commandError('sbatch', 1, 'sbatch: error: Batch job submission failed: Unable to contact slurm controller (connect failure)\n').kind).toBe('unreachable');
    const e = commandError('squeue', 1, 'slurm_load_jobs error: Unable to contact slurm controller (connect failure)\n');
    expect(e.kind).toBe('unreachable');
    expect(e.slurmMessage).toBe('slurm_load_jobs error: Unable to contact slurm controller (connect failure)');
  });

  it('a shell that cannot find the program is not-installed, and a submission by another program is that program\'s rejection', () => {
    expect(commandError('qsub', 127, '/bin/sh: 1: qsub: not found\n').kind).toBe('not-installed');
    expect(commandError('qsub', 1, 'qsub: Unknown queue\n', { submit: true }).message).toBe('qsub rejected the job: qsub: Unknown queue');
  });

  it('another failing command is a failure with its exit code when it says nothing', () => {
    expect(commandError('scancel', 1, '').message).toBe('scancel failed (exit code 1, nothing on stderr)');
  });
});
