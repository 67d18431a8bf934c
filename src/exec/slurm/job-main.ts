// The program a Retort Slurm job runs: `node job-main.js <spec file>`. It computes its node (task
// $SLURM_ARRAY_TASK_ID of an array) against the shared store, prints event lines to its Slurm log,
// writes its result file, and exits 0 when the node's entry is in the store.
import { readFile } from 'node:fs/promises';
import type { JobResult, JobSpecFile } from './job-spec.js';
import { writeWhole } from './job-spec.js';
import { eventLine, runNodeJob, type JobEvent } from './run-node-job.js';

const emit = (event: JobEvent) => { process.stdout.write(eventLine(event)); };

async function main(): Promise<number> {
  const specFile = process.argv[2];
  if (!specFile) { process.stderr.write('usage: job-main.js <spec file>\n'); return 2; }
  const file = JSON.parse(await readFile(specFile, 'utf8')) as JobSpecFile;
  const task = Number(process.env.SLURM_ARRAY_TASK_ID ?? 0);
  const spec = file.units[task];
  if (file.v !== 1 || !spec) { process.stderr.write(`${specFile} has no node for task ${task}\n`); return 2; }
  // scancel and the time limit send SIGTERM: the node is stopped and leaves no partial entry.
  const controller = new AbortController();
  for (const sig of ['SIGTERM', 'SIGINT'] as const) process.on(sig, () => controller.abort(new Error(`stopped by ${sig}`)));
  let result: JobResult;
  try {
    result = await runNodeJob(spec, { signal: controller.signal, env: process.env, emit });
  } catch (err) {
    const now = Date.now();
    result = { v: 1, key: spec.job.key, nodeId: spec.job.nodeId, outcome: 'failed', error: (err as Error).message, metrics: [], startedAt: now, endedAt: now };
  }
  await writeWhole(spec.result, JSON.stringify(result));
  emit({ type: 'result', result });
  return result.outcome === 'ran' || result.outcome === 'hit' ? 0 : 1;
}

main().then((code) => { process.exitCode = code; }, (err: Error) => { process.stderr.write(`${err.message}\n`); process.exitCode = 2; });
