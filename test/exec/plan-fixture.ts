// A plan of a small recipe in a temporary project (the fixture plugins copied beside it), for
// driving the scheduler directly; and a subscriber that keeps every event it is given.
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll } from 'vitest';
import { compileRecipe } from '../../src/graph/compile.js';
import { ContentHasher } from '../../src/graph/content-hash.js';
import { computeKeys } from '../../src/graph/key.js';
import { planRecipe, type Plan } from '../../src/graph/plan.js';
import type { CompiledRecipe } from '../../src/graph/types.js';
import type { RunEvent, RunSubscriber } from '../../src/exec/events.js';
import type { JobRequest, JobResult, NodeExecutor } from '../../src/exec/executor.js';
import { EventFanOut } from '../../src/exec/fan-out.js';
import { Store } from '../../src/store/store.js';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

const made: string[] = [];
afterAll(() => { for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true }); });

export interface Fixture { dir: string; recipe: CompiledRecipe; plan: Plan; store: Store }

/** Plans `recipe` (YAML) with `files` written beside it (relative paths), on an empty store. */
export async function planOf(recipe: string, files: Record<string, string> = {}): Promise<Fixture> {
  const dir = mkdtempSync(join(tmpdir(), 'retort-sched-'));
  made.push(dir);
  cpSync(join(ROOT, 'test', 'fixtures', 'plugins'), join(dir, 'plugins'), { recursive: true });
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  writeFileSync(join(dir, 'r.yaml'), recipe);
  const compiled = await compileRecipe(join(dir, 'r.yaml'), { env: process.env });
  const keys = await computeKeys(compiled, new ContentHasher(join(dir, 'runs', 'hash-cache.json')), process.env);
  const store = await Store.open(join(dir, 'runs', 'store'));
  return { dir, recipe: compiled, plan: await planRecipe(compiled, keys, store), store };
}

/** Keeps every event; `on` lets a test act when one arrives (its promise is awaited like any subscriber's). */
export function collector(on?: (event: RunEvent) => void | Promise<void>): RunSubscriber & { events: RunEvent[] } {
  const events: RunEvent[] = [];
  return {
    name: 'collector',
    events,
    async handle(event) {
      events.push(event);
      await on?.(event);
    },
  };
}

/** A fan-out that keeps its subscribers' failures in `errors` (tests expect none unless they cause one). */
export function fanOut(...subscribers: RunSubscriber[]): EventFanOut & { errors: string[] } {
  const errors: string[] = [];
  return Object.assign(new EventFanOut(subscribers, (name, _event, err) => { errors.push(`${name}: ${(err as Error).message}`); }), { errors });
}

/** The node-finished events, by node id. */
export function finished(events: RunEvent[]): Map<string, Extract<RunEvent, { type: 'node-finished' }>['result']> {
  const out = new Map<string, Extract<RunEvent, { type: 'node-finished' }>['result']>();
  for (const e of events) if (e.type === 'node-finished') out.set(e.node.id, e.result);
  return out;
}

/** Runs each node as `script[nodeId]` says; by default writes its output and succeeds. */
export class ScriptedExecutor implements NodeExecutor {
  readonly started: string[] = [];
  constructor(private readonly script: Record<string, (req: JobRequest) => Promise<JobResult>> = {}) {}
  async run(req: JobRequest): Promise<JobResult> {
    this.started.push(req.job.nodeId);
    const scripted = this.script[req.job.nodeId];
    if (scripted) return scripted(req);
    req.report({ type: 'log', level: 'info', line: `hello from ${req.job.nodeId}` });
    req.report({ type: 'metric', name: 'm', value: 1, step: 0, timestamp: 1 });
    mkdirSync(join(req.job.outDir, 'out'), { recursive: true });
    writeFileSync(join(req.job.outDir, 'out', 'value.json'), '{"total": 1}\n');
    return { ok: true };
  }
}

