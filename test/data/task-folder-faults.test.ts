// Bad task folders fail where they are read, with the file (and line) to fix: a folder of split
// files without task.json, an empty data folder, a malformed task.json.

import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import tasksPlugin from '../../plugins/tasks/index.js';
import { listTaskFolders, readTaskMeta } from '../../src/lib/data/task-folder.js';
import { runPlugin } from '../plugins/ctx.js';
import { caught } from './caught.js';

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'retort-folder-faults-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const META = { name: 'toy', category: 'nli', type: 'classification', metric: 'accuracy', fields: ['premise'], labels: ['yes', 'no'], splits: { test: 1 } };
const ROW = JSON.stringify({ id: 'toy-0', fields: { premise: 'p' }, options: ['yes', 'no'], output: 'yes' });

async function dir(...parts: string[]): Promise<string> {
  const d = join(root, ...parts);
  await mkdir(d, { recursive: true });
  return d;
}

function runTasks(name: string, data: string) {
  return runPlugin(tasksPlugin, join(root, 'out', name), { suite: 'folders', seed: 1, trainSize: 1, testSize: 1 }, { data });
}

describe('task folders that cannot be read', () => {
  it('a task folder with split files but no task.json fails the tasks node naming the missing file', async () => {
    const data = await dir('no-meta');
    const good = await dir('no-meta', 'toy');
    await writeFile(join(good, 'task.json'), JSON.stringify(META));
    await writeFile(join(good, 'test.jsonl'), ROW + '\n');
    const bad = await dir('no-meta', 'broken');
    await writeFile(join(bad, 'test.jsonl'), ROW + '\n');
    const err = await caught(runTasks('no-meta', data));
    expect(err.file).toBe(join(bad, 'task.json'));
    expect(err.message).toMatch(/broken\/task\.json: file not found: this task folder has split files but no task\.json/);
    // Pointing at the folder itself says the same.
    expect((await caught(listTaskFolders(bad, { strict: true }))).file).toBe(join(bad, 'task.json'));
  });

  it('an empty data folder fails instead of caching an empty result', async () => {
    const empty = await dir('empty');
    const err = await caught(runTasks('empty', empty));
    expect(err.message).toBe(`${empty}: no task folders here (a task folder holds task.json and <split>.jsonl files)`);
    const notFound = await caught(runTasks('missing', join(root, 'nowhere')));
    expect(notFound.message).toMatch(/nowhere: directory not found/);
  });

  it('a malformed task.json names the file and the line', async () => {
    const d = await dir('malformed');
    await writeFile(join(d, 'task.json'), '{\n  "name": "toy",\n  "category": "nli",\n  "fields": ["premise"],\n}\n');
    const err = await caught(readTaskMeta(d));
    expect(err.file).toBe(join(d, 'task.json'));
    expect(err.line).toBe(5);
    expect(err.message).toMatch(/task\.json:5: invalid JSON/);
    const wrongType = await dir('wrong-type');
    await writeFile(join(wrongType, 'task.json'), JSON.stringify({ ...META, type: 'regression' }, null, 2));
    const typed = await caught(readTaskMeta(wrongType));
    expect(typed.line).toBe(4);
    expect(typed.message).toMatch(/task\.json:4: "type" must be one of/);
    const split = await dir('bad-split');
    await writeFile(join(split, 'task.json'), JSON.stringify({ ...META, splits: { train: 2, test: -1 } }, null, 2));
    expect((await caught(readTaskMeta(split))).message).toMatch(/task\.json:15: "splits\.test" must be a non-negative integer/);
  });
});
