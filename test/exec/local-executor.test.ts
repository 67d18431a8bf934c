// Failure kinds of the local process executor, through the scheduler: a real node process that
// exits, is killed, runs out of time or memory, writes no output, or fails in plugin code; each end
// is a typed failure whose message is the one users have always seen. The executor is the compiled
// one (it starts dist/…/node-runner.js): run `npx tsc -p tsconfig.json` first, as for e2e tests.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { NodeExecutor } from '../../src/exec/executor.js';
import { failureMessage, type Failure } from '../../src/exec/failure.js';
import { executePlan } from '../../src/exec/scheduler.js';
import type * as LocalExecutorModule from '../../src/exec/local-executor.js';
import { collector, fanOut, finished, planOf, ROOT } from './plan-fixture.js';
import { nodeId } from '../../src/util/ids.js';

const COMPILED = join(ROOT, 'dist', 'src', 'exec', 'local-executor.js');
let executor: NodeExecutor;

beforeAll(async () => {
  if (!existsSync(COMPILED)) throw new Error(`${COMPILED} is missing: run npx tsc -p tsconfig.json first`);
  const mod = (await import(COMPILED)) as typeof LocalExecutorModule;
  executor = new mod.LocalProcessExecutor();
});

const PLUGINS = {
  'plugins/self-kill/index.mjs': `export default { id: 'self-kill', version: '1', params: { type: 'object' }, outputs: { out: {} },
    async run() { process.kill(process.pid, 'SIGTERM'); await new Promise((r) => setTimeout(r, 10_000)); } };\n`,
  'plugins/no-output/index.mjs': `export default { id: 'no-output', version: '1', params: { type: 'object' }, outputs: { out: {}, extra: {} }, async run() {} };\n`,
  // A plugin's own message that reads like the runner's: the runner's reason, not the text, decides the kind.
  'plugins/lookalike/index.mjs': `export default { id: 'lookalike', version: '1', params: { type: 'object' }, outputs: { out: {} },
    async run() { throw new Error('command exited with code 7'); } };\n`,
  'plugins/exit-4/plugin.yaml': 'id: exit-4\nversion: "1"\ncommand: ["/bin/sh", "-c", "exit 4"]\nparams: { type: object }\noutputs: { out: {} }\n',
};

const RECIPE = `
stages:
  exits: { plugin: ./plugins/count, params: { crash: exit } }
  killed: { plugin: ./plugins/self-kill }
  slow: { plugin: ./plugins/count, params: { sleepMs: 20000 }, resources: { timeLimit: 0.5s } }
  hog: { plugin: ./plugins/count, params: { crash: oom }, resources: { memoryMb: 64 } }
  silent: { plugin: ./plugins/no-output }
  throws: { plugin: ./plugins/count, params: { fail: true } }
  command: { plugin: ./plugins/exit-4 }
  lookalike: { plugin: ./plugins/lookalike }
  after: { plugin: ./plugins/count, inputs: { in: "\${stages.exits.outputs.out}" } }
`;

describe('local executor failure kinds (through the scheduler)', () => {
  it('each way a node process can fail is its own kind, with the message users know', async () => {
    const f = await planOf(RECIPE, PLUGINS);
    const seen = collector();
    const events = fanOut(seen);
    const result = await executePlan(f.plan, {
      store: f.store, runId: 'test-run', recipeName: 'r', jobs: 2, keepGoing: true, signal: new AbortController().signal, executor, events, env: {},
    });
    const failureOf = (id: string): Failure | undefined => result.outcomes.get(nodeId(id))?.failure;
    const expected: Record<string, [Failure, string]> = {
      exits: [{ kind: 'exit-code', process: 'node', code: 3 }, "the node's process exited with code 3"],
      killed: [{ kind: 'signal', process: 'node', signal: 'SIGTERM' }, "the node's process was killed by SIGTERM"],
      slow: [{ kind: 'time-limit', limitMs: 500 }, 'stopped after its time limit of 0.5s (resources.timeLimit)'],
      hog: [{ kind: 'out-of-memory', signal: 'SIGABRT', memoryMb: 64 }, "the node's process was killed by SIGABRT (out of memory: its JavaScript heap reached resources.memoryMb (64))"],
      silent: [{ kind: 'missing-output', ports: ['out', 'extra'] }, "the plugin did not write output ports 'out', 'extra'"],
      throws: [{ kind: 'plugin-error', message: 'throws failed on purpose' }, 'throws failed on purpose'],
      command: [{ kind: 'exit-code', process: 'command', code: 4 }, 'command exited with code 4'],
      lookalike: [{ kind: 'plugin-error', message: 'command exited with code 7' }, 'command exited with code 7'],
      after: [{ kind: 'upstream-failed', upstream: nodeId('exits') }, 'upstream exits failed'],
    };
    for (const [id, [failure, message]] of Object.entries(expected)) {
      expect(failureOf(id), id).toEqual(failure);
      expect(failureMessage(failureOf(id)!), id).toBe(message);
      // Subscribers hear the same typed failure.
      expect(finished(seen.events).get(id), id).toMatchObject({ failure });
    }
    expect(events.errors).toEqual([]);
  });

  it('an interrupt stops a running node process: cancelled, and nothing is stored', async () => {
    const f = await planOf('stages:\n  slow: { plugin: ./plugins/count, params: { sleepMs: 20000 } }\n');
    const controller = new AbortController();
    // Cancel once the node has logged its first line (its process is up and running the plugin).
    const seen = collector((e) => { if (e.type === 'node-log') controller.abort(); });
    const result = await executePlan(f.plan, {
      store: f.store, runId: 'test-run', recipeName: 'r', signal: controller.signal, executor, events: fanOut(seen), env: {},
    });
    expect(result.status).toBe('cancelled');
    expect(result.outcomes.get(nodeId('slow'))).toMatchObject({ outcome: 'cancelled', failure: { kind: 'cancelled' } });
    expect((await f.store.lookup(result.outcomes.get(nodeId('slow'))!.key)).status).toBe('miss');
  });
});
