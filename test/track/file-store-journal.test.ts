// Batched writes of the local store: a record acknowledged before a SIGKILL lands exactly once,
// through the journal the next process replays; lines already written are not appended twice.
// The killed writer runs the compiled store (`npx tsc -p tsconfig.json`).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { FileStoreBackend } from '../../src/track/file-store.js';
import { journalName, type FileOp } from '../../src/track/file-store-journal.js';
import { thisMachine } from '../../src/store/fsutil.js';

const STORE = pathToFileURL(resolve(import.meta.dirname, '../../dist/src/track/file-store.js')).href;
const T0 = 1_700_000_000_000;

const dirs: string[] = [];
afterEach(() => { for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true }); });
const tempDir = () => { const d = mkdtempSync(join(tmpdir(), 'retort-journal-')); dirs.push(d); return d; };

// Logs metric m = k at step k, one call at a time, and prints k once the call returned.
const WRITER = `
import { FileStoreBackend } from ${JSON.stringify(STORE)};
const store = new FileStoreBackend(process.argv[2], { batched: true });
const run = await store.createRun({ experimentName: 'e', runName: 'r', startTime: 1, tags: [], clientRunId: 'c' });
process.stdout.write(JSON.stringify(run) + '\\n');
for (let k = 0; ; k++) {
  await store.logBatch(run, { metrics: [{ key: 'm', value: k, timestamp: ${T0} + k, step: k }] });
  process.stdout.write(k + '\\n');
  if (k % 20 === 19) await new Promise((r) => setImmediate(r));
}
`;

/** Runs the writer until it acknowledged `acked` calls, then SIGKILLs it. */
function killAfter(root: string, script: string, acked: number): Promise<{ run: { experimentId: string; runId: string }; last: number }> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [script, root], { stdio: ['ignore', 'pipe', 'inherit'] });
    let text = '';
    let killed = false;
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      text += chunk;
      const lines = text.split('\n').filter(Boolean);
      if (!killed && lines.length > acked) { killed = true; child.kill('SIGKILL'); }
    });
    child.on('error', reject);
    child.on('close', () => {
      const lines = text.split('\n').filter(Boolean);
      // Only whole lines count: a number cut short was not necessarily acknowledged.
      const numbers = (text.endsWith('\n') ? lines : lines.slice(0, -1)).slice(1).map(Number);
      resolvePromise({ run: JSON.parse(lines[0]!), last: numbers.length ? numbers[numbers.length - 1]! : -1 });
    });
  });
}

const steps = (file: string) => (existsSync(file) ? readFileSync(file, 'utf8').trim().split('\n').filter(Boolean).map((l) => Number(l.split(' ')[2])) : []);

describe('the local store journal', () => {
  it('every metric acknowledged before a SIGKILL is in the store after the next process opens it, once', async () => {
    const scriptDir = tempDir();
    const script = join(scriptDir, 'writer.mjs');
    writeFileSync(script, WRITER);
    let recovered = 0;
    for (const acked of [3, 60, 400]) {
      const root = join(tempDir(), 'mlruns');
      const { run, last } = await killAfter(root, script, acked);
      expect(last).toBeGreaterThanOrEqual(acked - 1);
      const file = join(root, run.experimentId, run.runId, 'metrics', 'm');
      const before = steps(file).length;
      expect(new FileStoreBackend(root).recoverJournals()).toBe(1);
      const after = steps(file);
      if (before <= last) recovered++;
      // Steps 0…n with no gap and no repeat, n at least the last acknowledged one.
      expect(after).toEqual(Array.from({ length: after.length }, (_, i) => i));
      expect(after.length).toBeGreaterThan(last);
      expect(readdirSync(root).filter((n) => n.startsWith('.retort-journal.'))).toEqual([]);
      expect(readFileSync(join(root, run.experimentId, run.runId, 'meta.yaml'), 'utf8')).toMatch(/^status: 1$/m);
    }
    // The kills came while acknowledged records were only in the journal (the case that matters).
    expect(recovered).toBeGreaterThan(0);
  }, 60_000);

  it('replaying a journal whose writes were partly done appends no line twice and ignores a line cut short', async () => {
    const root = tempDir();
    const dead = Number(spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout);
    const me = thisMachine();
    const metric = join(root, '1', 'r', 'metrics', 'm');
    mkdirSync(join(root, '1', 'r', 'metrics'), { recursive: true });
    writeFileSync(metric, '11 1.0 0\n2 2.0 1\n'); // the first two calls were written, the third was not
    const calls: FileOp[][] = [
      [{ op: 'dir', path: join(root, '1', 'r', 'tags') }, { op: 'append', path: metric, text: '2 2.0 1\n' }],
      [{ op: 'append', path: metric, text: '1 1.0 0\n' }], // not the same line as "11 1.0 0"
      [{ op: 'write', path: join(root, '1', 'r', 'tags', 't'), content: 'v', tempDir: join(root, '1', 'r') }, { op: 'append', path: metric, text: '3 3.0 2\n' }],
    ];
    const journal = join(root, journalName(me.host, me.bootId, dead));
    writeFileSync(journal, calls.map((c) => JSON.stringify(c)).join('\n') + '\n[{"op":"append","pa');
    expect(new FileStoreBackend(root).recoverJournals()).toBe(1);
    expect(readFileSync(metric, 'utf8')).toBe('11 1.0 0\n2 2.0 1\n1 1.0 0\n3 3.0 2\n');
    expect(readFileSync(join(root, '1', 'r', 'tags', 't'), 'utf8')).toBe('v');
    expect(existsSync(journal)).toBe(false);
  });

  it('leaves the journal of a live process alone; a batched store shows its writes after flush and removes its journal at close', async () => {
    const root = tempDir();
    const store = new FileStoreBackend(root, { batched: true });
    const run = await store.createRun({ experimentName: 'e', runName: 'r', startTime: 1, tags: [], clientRunId: 'c' });
    await store.logBatch(run, { metrics: [{ key: 'm', value: 1, timestamp: 1, step: 0 }] });
    expect(readdirSync(root).filter((n) => n.startsWith('.retort-journal.'))).toHaveLength(1);
    expect(new FileStoreBackend(root).recoverJournals()).toBe(0); // this process is alive
    store.flush();
    expect(steps(join(root, run.experimentId!, run.runId!, 'metrics', 'm'))).toEqual([0]);
    await store.close();
    expect(readdirSync(root).filter((n) => n.startsWith('.retort-journal.'))).toEqual([]);
  });
});
