import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { UsageError } from '../../../src/cli/args.js';
import type { CliIO } from '../../../src/cli/command.js';
import { command, serveLm } from '../../../src/cli/commands/serve-lm.js';
import { writeTaskFolder } from '../../../src/lib/data/task-folder.js';
import type { TaskMeta, TaskRow } from '../../../src/lib/data/task.js';
import { NgramLM } from '../../../src/lib/ml/lm/ngram.js';
import { OpenAICompletionsLM } from '../../../src/lib/ml/lm/openai.js';
import { demonstrationTexts } from '../../../src/lib/ml/lm/train-texts.js';
import { at } from '../../util/at.js';

const tmp = mkdtempSync(join(tmpdir(), 'serve-lm-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function captureIO(): { io: CliIO; out: () => string; err: () => string } {
  let out = '';
  let err = '';
  const sink = (add: (s: string) => void) => new Writable({ write(chunk, _enc, cb) { add(String(chunk)); cb(); } });
  return {
    io: { stdout: sink((s) => (out += s)), stderr: sink((s) => (err += s)), cwd: tmp, env: {} },
    out: () => out,
    err: () => err,
  };
}

async function makeTasks(): Promise<string> {
  const root = join(tmp, 'tasks');
  const meta: TaskMeta = { name: 'sst2', category: 'sentiment', type: 'classification', metric: 'accuracy', fields: ['sentence'], labels: ['negative', 'positive'], splits: {} };
  const row = (i: number, split: string): TaskRow => ({
    id: `sst2-${split}-${i}`,
    fields: { sentence: i % 2 ? 'a wonderful , moving film' : 'a dull and tedious mess' },
    options: ['negative', 'positive'],
    output: i % 2 ? 'positive' : 'negative',
  });
  await writeTaskFolder(join(root, 'sst2'), meta, { train: Array.from({ length: 40 }, (_, i) => row(i, 'train')), test: [row(0, 'test'), row(1, 'test')] });
  return root;
}

/** Starts serve-lm, waits for its banner, returns the URL and a stopper. */
async function start(args: string[]) {
  const cap = captureIO();
  const ctl = new AbortController();
  const done = serveLm(args, cap.io, ctl.signal);
  const m = await vi.waitFor(() => {
    const banner = /at (http\S+)/.exec(cap.out());
    if (!banner) throw new Error(`no banner yet; stderr: ${cap.err()}`);
    return banner;
  }, { timeout: 30_000, interval: 10 });
  return { url: m[1], stop: async () => { ctl.abort(); return done; }, cap };
}

describe('retort serve-lm', () => {
  it('trains on a task folder and serves the same model as training in process', async () => {
    const root = await makeTasks();
    const s = await start(['--train', root, '--port', '0', '--order', '3', '--name', 'sst']);
    try {
      const remote = new OpenAICompletionsLM({ baseUrl: s.url, env: {} });
      const { texts } = await demonstrationTexts(root);
      expect(texts).toHaveLength(40);
      expect(texts[0]).toMatch(/\nNegative\n$/); // rendered demonstrations with verbalized labels
      const local = NgramLM.train(texts, { order: 3 });
      const req = [{ context: 'Review: "a wonderful , moving film"\n', continuation: 'Positive' }];
      const a = at(await remote.scoreContinuations(req), 0);
      const b = at(await local.scoreContinuations(req), 0);
      expect(Math.abs(a.sumLogProb - b.sumLogProb)).toBeLessThan(1e-9);
      expect(s.cap.err()).toMatch(/trained on 40 demonstrations from 1 task/);
    } finally {
      expect(await s.stop()).toBe(0);
    }
  });

  it('serves a saved model file', async () => {
    const file = join(tmp, 'm.ngram');
    const lm = NgramLM.train(['hello there world\n', 'hello there friend\n'], { order: 2 });
    await lm.save(file);
    const s = await start(['--model', file, '--port', '0', '--lambda', '0']);
    try {
      const models = (await (await fetch(`${s.url}/models`)).json()) as { data: { id: string }[] };
      expect(models.data[0]!.id).toBe('retort-ngram');
      const remote = new OpenAICompletionsLM({ baseUrl: s.url, env: {} });
      const [gen] = await remote.generate([{ prompt: 'hello', maxTokens: 1 }]);
      expect(gen).toBe(' there');
    } finally {
      expect(await s.stop()).toBe(0);
    }
  });

  it('reports usage and file errors without a stack trace', async () => {
    const cap = captureIO();
    const never = new AbortController().signal;
    await expect(serveLm([], cap.io, never)).rejects.toThrow(UsageError);
    await expect(serveLm(['--model', 'a', '--train', 'b'], cap.io, never)).rejects.toThrow(/exactly one of/);
    await expect(serveLm(['--model', 'a', '--lambda', '2'], cap.io, never)).rejects.toThrow(/--lambda/);
    expect(await serveLm(['--model', join(tmp, 'nope.ngram')], cap.io, never)).toBe(2);
    expect(cap.err()).toMatch(/nope\.ngram: file not found/);
    expect(command.name).toBe('serve-lm');
    const help = captureIO();
    expect(await command.run(['--help'], help.io)).toBe(0);
    expect(help.out()).toMatch(/--train DIR/);
  });
});
