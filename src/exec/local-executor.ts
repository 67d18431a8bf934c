// The executor of a run on this machine: each node job in its own child process.
import type { JobRequest, JobResult, NodeExecutor } from './executor.js';
import { runInProcess } from './local-process.js';

// What V8 prints on stderr when a heap reaches its limit, just before the process aborts.
const HEAP_FULL = /JavaScript heap out of memory/;

export class LocalProcessExecutor implements NodeExecutor {
  async run({ job, resources, signal, report }: JobRequest): Promise<JobResult> {
    let heapFull = false;
    const outcome = await runInProcess(job, {
      onLog: (level, line) => {
        if (level === 'error' && HEAP_FULL.test(line)) heapFull = true;
        report({ type: 'log', level, line });
      },
      onMetric: (name, value, step, timestamp) => report({ type: 'metric', name, value, step, timestamp }),
      onProgress: (done, total) => report({ type: 'progress', done, total }),
    }, {
      signal,
      // With no GPUs in the run the environment is left alone; otherwise every node gets exactly its own.
      env: resources.gpus ? { ...process.env, CUDA_VISIBLE_DEVICES: resources.gpus.join(',') } : undefined,
      memoryMb: resources.memoryMb,
      timeLimitMs: resources.timeLimitMs,
    });
    if (outcome.ok || !heapFull) return outcome;
    const { failure } = outcome;
    // A process that died on its own after V8 said its heap is full ran out of memory.
    if ((failure.kind === 'signal' || failure.kind === 'exit-code') && failure.process === 'node') {
      return { ok: false, failure: { kind: 'out-of-memory', signal: failure.kind === 'signal' ? failure.signal : undefined, memoryMb: resources.memoryMb } };
    }
    return outcome;
  }
}
