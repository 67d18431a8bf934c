// Runs a shell command as a node: inputs and the output folder come in as environment variables.
import { spawn } from 'node:child_process';
import { definePlugin, NodeFailure } from '../../src/plugin/api.js';

export default definePlugin({
  id: 'shell',
  version: '1.0.0',
  description: 'run a shell command; $RETORT_IN (inputs, one per line) and $RETORT_OUT (output folder); `::metric name value [step]` and `::progress done total` lines are read',
  params: {
    type: 'object',
    additionalProperties: false,
    required: ['command'],
    properties: {
      command: { type: 'string', description: 'the command line, run with the shell in the output folder' },
      shell: { type: 'string', default: '/bin/sh', description: 'the shell that runs the command' },
    },
  },
  inputs: { in: { many: true, optional: true, description: 'files or folders the command reads' } },
  outputs: { out: { description: 'the folder the command writes into' } },
  async run(ctx) {
    const out = ctx.output('out');
    const inputs = ([] as string[]).concat(ctx.inputs.in ?? []);
    const env: NodeJS.ProcessEnv = { ...process.env, ...ctx.env, RETORT_OUT: out, RETORT_IN: inputs.join('\n'), RETORT_SEED: String(ctx.seed) };
    inputs.forEach((path, i) => { env[`RETORT_IN_${i}`] = path; });
    await new Promise<void>((resolve, reject) => {
      const child = spawn(ctx.params.shell, ['-c', ctx.params.command], { cwd: out, env, stdio: ['ignore', 'pipe', 'pipe'], signal: ctx.signal });
      const forward = (stream: NodeJS.ReadableStream, log: (line: string) => void) => {
        let pending = '';
        stream.setEncoding('utf8');
        stream.on('data', (chunk: string) => {
          pending += chunk;
          const lines = pending.split('\n');
          pending = lines.pop() ?? '';
          for (const line of lines) handle(line, log);
        });
        stream.on('end', () => { if (pending) handle(pending, log); });
      };
      const handle = (line: string, log: (line: string) => void) => {
        const m = /^::metric\s+(\S+)\s+(\S+)(?:\s+(\d+))?\s*$/.exec(line);
        const p = /^::progress\s+(\d+)\s+(\d+)\s*$/.exec(line);
        if (m) ctx.metric(m[1]!, Number(m[2]), m[3] ? Number(m[3]) : undefined); // the name group always takes part
        else if (p) ctx.progress(Number(p[1]), Number(p[2]));
        else log(line);
      };
      forward(child.stdout!, (l) => ctx.log.info(l));
      forward(child.stderr!, (l) => ctx.log.warn(l));
      child.on('error', reject);
      child.on('close', (code, signal) => {
        if (code === 0) resolve();
        else reject(new NodeFailure(signal ? `command killed by ${signal}` : `command exited with code ${code}`));
      });
    });
  },
});
