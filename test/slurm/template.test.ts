import { describe, expect, it } from 'vitest';
import {
  cancelCommand, fill, parseStatus, parseSubmitted, SLURM_TEMPLATE, statusCommand, submitCommand, type ClusterTemplate,
} from '../../src/exec/slurm/command-template.js';

// A PBS-like description, to show the templates are not Slurm's syntax in disguise.
const PBS: ClusterTemplate = {
  submit: 'qsub -N {name} {output:-o } {cpus:-l ncpus=} {dependencies} {script}',
  dependencies: { each: '{id}', join: ':', wrap: '-W depend=afterok:{list}' },
  idPattern: '^(\\d+)\\.',
  status: 'qstat -x {ids}',
  statusPattern: '^(\\d+)\\.\\S+\\s+\\S+\\s+\\S+\\s+\\S+\\s+(\\w)\\s',
  states: { Q: 'pending', R: 'running', F: 'succeeded', E: 'running' },
  cancel: 'qdel {ids}',
};

describe('command templates', () => {
  it('fills Slurm\'s template, leaving out the options whose values are unset', () => {
    expect(submitCommand(SLURM_TEMPLATE, { name: 'train', script: '/s/job 1.sh', afterOk: ['12', '13'], resources: { cpus: 4, timeLimit: '90s', gpus: 1 } }))
      .toBe("sbatch --parsable --job-name=train --dependency=afterok:12:13 --kill-on-invalid-dep=yes --cpus-per-task=4 --time=2 --gres=gpu:1 '/s/job 1.sh'");
    expect(submitCommand(SLURM_TEMPLATE, { name: 'x', script: 'job.sh' })).toBe('sbatch --parsable --job-name=x job.sh');
    expect(submitCommand(SLURM_TEMPLATE, { name: 'x', script: 'job.sh', resources: { extraArgs: ['--begin=now+60', '--comment=a b'] } }))
      .toBe("sbatch --parsable --job-name=x --begin=now+60 '--comment=a b' job.sh");
    expect(statusCommand(SLURM_TEMPLATE, ['1', '2'])).toBe("squeue --noheader --states=all --jobs=1,2 --format='%i %T'");
    expect(cancelCommand(SLURM_TEMPLATE, ['1', '2'])).toBe('scancel 1 2');
  });

  it('fills another scheduler\'s template with its own syntax', () => {
    expect(submitCommand(PBS, { name: 'n', script: 'j.sh', output: '/o/%j.log', afterOk: ['7.pbs'], resources: { cpus: 2 } }))
      .toBe('qsub -N n -o /o/%j.log -l ncpus=2 -W depend=afterok:7.pbs j.sh');
    expect(parseSubmitted(PBS, '1234.server\n')).toBe('1234');
    const qstat = 'Job id            Name             User              Time Use S Queue\n----------------  ---------------- ----------------  -------- - -----\n1234.server       n                me                00:00:01 R workq \n1235.server       m                me                00:00:00 F workq \n';
    expect([...parseStatus(PBS, qstat)]).toEqual([['1234', { state: 'R', phase: 'running' }], ['1235', { state: 'F', phase: 'succeeded' }]]);
  });

  it('quotes every value for the shell, so a name cannot run a command', () => {
    expect(fill('echo {name}', { name: 'a; rm -rf ~' })).toBe("echo 'a; rm -rf ~'");
    expect(() => cancelCommand(SLURM_TEMPLATE, ['1; reboot'])).toThrow(/not a job id/);
  });

  it('an unknown placeholder, a state the template does not list, or no id are errors that say what is wrong', () => {
    expect(() => fill('sbatch {threads}', {})).toThrow(/unknown placeholder \{threads\}.*known: \{name\}/);
    expect(() => parseStatus(SLURM_TEMPLATE, '12 WIBBLE\n')).toThrow('the status command printed state "WIBBLE" for job 12, which the template does not list');
    expect(() => parseSubmitted(SLURM_TEMPLATE, 'oops\n')).toThrow(/printed no job id/);
  });

  it('a template without a dependency syntax refuses a job with upstream jobs', () => {
    const { dependencies: _, ...flat } = SLURM_TEMPLATE;
    expect(() => submitCommand(flat, { name: 'x', script: 'j', afterOk: ['1'] })).toThrow(/no way to express dependencies/);
  });
});
