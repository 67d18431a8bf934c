// A process killed at any moment while publishing leaves either no entry or a complete one.
import { afterEach, expect, it } from 'vitest';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Store } from '../../src/store/store.js';
import { openStore, removeDir } from './helpers.js';
import { startChild, type Child } from './fixtures/spawn.js';
import { parseKey, type Key } from '../../src/util/ids.js';

const bases: string[] = [];
const children: Child[] = [];
afterEach(async () => {
  for (const c of children.splice(0)) if (c.proc.exitCode === null) c.proc.kill('SIGKILL');
  for (const b of bases.splice(0)) await removeDir(b);
});

it('SIGKILL during publish, repeatedly, never leaves a partial or corrupt entry', async () => {
  const { root, base } = await openStore();
  bases.push(base);
  const done = new Set<Key>();
  const begun = new Set<Key>();
  let killedMidWrite = 0;
  for (let round = 0; round < 10; round++) {
    const child = await startChild(['publish-loop', root, `round${round}`]);
    children.push(child);
    // Let it publish one to three entries, then kill it as soon as it announces the next write: the kill lands
    // somewhere inside that write (or, on a slow machine, just after it). Waiting on its output rather than on a
    // timer keeps the number of finished entries the same however loaded the machine is.
    const publishedBeforeKill = 1 + (round % 3);
    await child.waitUntil((lines) => {
      const dones = lines.filter((l) => l.startsWith('DONE ')).length;
      return dones >= publishedBeforeKill && (lines.at(-1) ?? '').startsWith('BEGIN ');
    });
    child.proc.kill('SIGKILL');
    await child.exited;
    for (const line of child.lines) {
      const [word, text = ''] = line.split(' ');
      const key = parseKey(text);
      if (key === undefined) continue;
      if (word === 'BEGIN') begun.add(key);
      if (word === 'DONE') done.add(key);
    }
    const last = child.lines.at(-1) ?? '';
    if (last.startsWith('BEGIN')) killedMidWrite++;

    // Recovery: reopening removes the dead writer's staging area; every entry is complete.
    const store = await Store.open(root, { durable: false });
    expect(await readdir(join(root, 'staging'))).toEqual([]);
    const report = await store.verifyAll();
    expect(report.filter((r) => !r.ok)).toEqual([]);
    for (const key of done) expect((await store.lookup(key, { verify: 'full' })).status).toBe('hit');
    for (const key of begun) expect(['hit', 'miss']).toContain((await store.lookup(key)).status);
    expect(await readdir(join(root, 'quarantine'))).toEqual([]);
  }
  expect(done.size).toBeGreaterThan(5);
  expect(killedMidWrite).toBeGreaterThanOrEqual(3); // the kills did land in the middle of writes
});
