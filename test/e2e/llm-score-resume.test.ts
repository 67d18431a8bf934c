// A scoring node whose `retort run` is killed (SIGKILL) resumes from its saved chunks on the next
// run: only the unfinished queries reach the LM again, and the scores equal those of a run never
// interrupted. The LM is the built-in n-gram model served over the OpenAI API behind a gate that
// holds requests after a chosen count, so the kill always lands at the same point (no timing).
// Runs the compiled CLI: build first (npx tsc -p tsconfig.json).
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadTaskFolder, listTaskFolders } from '../../src/lib/data/task-folder.js';
import { NgramLM } from '../../src/lib/ml/lm/ngram.js';
import { startLmServer, type LmServer } from '../../src/lib/ml/lm/server.js';
import { materializeTasks } from '../../src/lib/tasks/materialize.js';
import { renderDemonstration, taskSpecFor } from '../../src/lib/tasks/registry.js';
import { Store } from '../../src/store/store.js';
import { collect, Project } from './harness.js';
import { at } from '../util/at.js';

const TASKS = ['gen_reviews', 'gen_country_facts'];
// 2 tasks × 6 queries, 2 queries (8 prompts = one HTTP request) per chunk: 6 requests in all.
const RECIPE = (lmDir: string) => `
stages:
  tasks:
    plugin: tasks
    params: { suite: builtin, seed: 2, trainSize: 20, testSize: 2, tasks: [${TASKS.join(', ')}] }
  bm25:
    plugin: bm25
    inputs:
      tasks: \${stages.tasks.outputs.tasks}
    params: { topK: 10 }
  scores:
    plugin: llm-score
    inputs:
      tasks: \${stages.tasks.outputs.tasks}
      lm: ${lmDir}
      candidates: \${stages.bm25.outputs.candidates}
    params: { searchTopk: 10, scoreTopk: 4, maxQueriesPerTask: 6, chunkQueries: 2, batchSize: 8 }
`;

/** Forwards requests to the LM server; once `holdAfter` have passed, holds the next ones unanswered. */
class Gate {
  forwarded = 0;
  held: { req: IncomingMessage; res: ServerResponse; closed: boolean }[] = [];
  holdAfter = Infinity;
  private readonly server: Server;
  constructor(private readonly upstream: string) {
    this.server = createServer((req, res) => void this.handle(req, res));
  }
  async listen(): Promise<string> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/v1`;
  }
  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    if (req.url?.includes('/completions') && this.forwarded >= this.holdAfter) {
      const entry = { req, res, closed: false };
      res.on('close', () => { entry.closed = true; });
      this.held.push(entry);
      return;
    }
    if (req.url?.includes('/completions')) this.forwarded++;
    const reply = await fetch(this.upstream + (req.url ?? '').replace(/^\/v1/, ''), {
      method: req.method, headers: { 'content-type': 'application/json' }, body: req.method === 'POST' ? Buffer.concat(chunks) : undefined,
    });
    res.writeHead(reply.status, { 'content-type': 'application/json' });
    res.end(Buffer.from(await reply.arrayBuffer()));
  }
  async close(): Promise<void> {
    for (const h of this.held) h.res.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}

let lmServer: LmServer;
let gate: Gate;
let lmDir: string;
let tmp: string;

beforeAll(async () => {
  const dir = (tmp = mkdtempSync(join(tmpdir(), 'retort-llm-score-lm-')));
  await materializeTasks(join(dir, 'tasks'), { source: { kind: 'builtin', trainSize: 20, testSize: 2 }, seed: 2, tasks: TASKS });
  const texts: string[] = [];
  for (const d of await listTaskFolders(join(dir, 'tasks'))) {
    const t = await loadTaskFolder(d, { splits: ['train'] });
    for (const r of t.splits.train!) texts.push(renderDemonstration(taskSpecFor(t.meta), r) + '\n');
  }
  lmServer = await startLmServer({ model: NgramLM.train(texts, { order: 3 }), name: 'tiny' });
  gate = new Gate(lmServer.url);
  const url = await gate.listen();
  lmDir = join(dir, 'lm');
  mkdirSync(lmDir);
  writeFileSync(join(lmDir, 'lm.json'), JSON.stringify({ backend: 'openai', baseUrl: url, model: 'tiny', batchSize: 8, concurrency: 1, maxRetries: 0 }));
});
afterAll(async () => {
  await gate.close();
  await lmServer.close();
  rmSync(tmp, { recursive: true, force: true });
});

async function scoresOf(p: Project): Promise<{ files: Record<string, string>; metrics: Record<string, number> }> {
  const store = await Store.open(join(p.dir, 'runs', 'store'));
  const manifest = at(await store.manifests({ stage: 'scores' }), 0);
  const dir = store.portPath(manifest.key, 'scores');
  const files = Object.fromEntries(readdirSync(dir).filter((f) => f.endsWith('.jsonl')).map((f) => [f, readFileSync(join(dir, f), 'utf8')]));
  return { files, metrics: Object.fromEntries(manifest.metrics.map((m) => [m.name, m.value])) };
}

describe('resuming a killed scoring node (end to end)', () => {
  it('SIGKILL after 3 of 6 chunks: the re-run sends only the other 3 to the LM and writes the same scores', async () => {
    const reference = new Project();
    reference.write('r.yaml', RECIPE(lmDir));
    const plain = await reference.run(['run', 'r.yaml', '--no-track', '--plain']);
    expect(plain.code, plain.stdout + plain.stderr).toBe(0);
    expect(gate.forwarded).toBe(6);
    const expected = await scoresOf(reference);
    expect(Object.keys(expected.files).sort()).toEqual(TASKS.map((t) => `${t}.jsonl`).sort());

    gate.forwarded = 0;
    gate.holdAfter = 3;
    const p = new Project();
    p.write('r.yaml', RECIPE(lmDir));
    const child = p.start(['run', 'r.yaml', '--no-track', '--plain']);
    const ended = collect(child);
    // The fourth request is held: chunks 0–2 are saved, chunk 3 is in flight.
    await vi.waitFor(() => expect(gate.held).toHaveLength(1), { timeout: 60_000, interval: 50 });
    child.kill('SIGKILL');
    expect((await ended).signal).toBe('SIGKILL');
    // The node's process ends once its parent is gone; its held connection closes with it.
    await vi.waitFor(() => expect(gate.held[0]!.closed).toBe(true), { timeout: 15_000, interval: 50 });

    gate.forwarded = 0;
    gate.holdAfter = Infinity;
    const again = await p.run(['run', 'r.yaml', '--no-track', '--plain']);
    expect(again.code, again.stdout + again.stderr).toBe(0);
    expect(gate.forwarded).toBe(3);
    const resumed = await scoresOf(p);
    expect(resumed.metrics['llm-score/resumed_queries']).toBe(6);
    expect(resumed.metrics['llm-score/queries']).toBe(12);
    expect(resumed.files).toEqual(expected.files);
  }, 120_000);
});
