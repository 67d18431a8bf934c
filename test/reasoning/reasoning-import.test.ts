// reasoning-import: MATH (\boxed{} answers) and GSM8K (#### answers) from small fixture files in
// the Hugging Face layouts (JSONL and Parquet) and from an hf://datasets/… repository served by
// the local Hub contract server; a MATH row without \boxed{} is an error that names file:line.

import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { afterAll, describe, expect, it } from 'vitest';
import reasoningImport from '../../plugins/reasoning-import/index.js';
import { readReasoningHf, readReasoningIndex, readReasoningSplit } from '../../src/lib/reasoning/import.js';
import { HubContractServer } from '../data/hub-contract-server.js';
import { runPlugin } from '../plugins/ctx.js';

const root = mkdtempSync(join(tmpdir(), 'retort-reasoning-import-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

// Written for these tests in the layouts of hendrycks/competition_math and openai/gsm8k.
const MATH_ROWS = [
  { problem: 'What is $\\frac{1}{2} + \\frac{1}{4}$?', solution: 'We get $\\frac{2}{4} + \\frac{1}{4} = \\boxed{\\frac34}$.', level: 'Level 1', type: 'Prealgebra' },
  { problem: 'Solve $x + 3 = 5$.', solution: 'Subtracting 3 gives $x = \\boxed{2}$.', level: 'Level 1', type: 'Algebra' },
];
const GSM8K_ROWS = [
  { question: 'Tom has 3 apples and buys 4 more. How many does he have?', answer: 'He has 3 + 4 = <<3+4=7>>7 apples.\n#### 7' },
  { question: 'A box holds 1,200 pens; 200 are sold. How many are left?', answer: '1200 - 200 = <<1200-200=1000>>1000\n#### 1,000' },
];
const jsonl = (rows: object[]) => rows.map((r) => JSON.stringify(r)).join('\n') + '\n';

describe('reasoning-import', () => {
  const src = join(root, 'src');
  mkdirSync(src, { recursive: true });
  writeFileSync(join(src, 'math-test.jsonl'), jsonl(MATH_ROWS));
  writeFileSync(join(src, 'gsm8k-train.parquet'), Buffer.from(parquetWriteBuffer({
    columnData: [
      { name: 'question', data: GSM8K_ROWS.map((r) => r.question), type: 'STRING' },
      { name: 'answer', data: GSM8K_ROWS.map((r) => r.answer), type: 'STRING' },
    ],
  })));

  it('reads MATH from JSON Lines: the answer is the last \\boxed{} of the solution', async () => {
    const run = await runPlugin(reasoningImport, join(root, 'math'), { dataset: 'math', splits: { test: 'math-test.jsonl' } }, { source: src });
    expect(run.metrics['rows/test']).toBe(2);
    const out = join(root, 'math', 'data');
    expect((await readReasoningIndex(out)).answerFormat).toBe('math');
    const rows = await readReasoningSplit(out, 'test');
    expect(rows.map((r) => r.answer)).toEqual(['\\frac34', '2']);
    expect(rows[1]).toEqual({ id: 'test-1', split: 'test', question: 'Solve $x + 3 = 5$.', solution: MATH_ROWS[1]!.solution, answer: '2' });
  });

  it('reads GSM8K from Parquet: the answer follows ####, the solution is what comes before it', async () => {
    await runPlugin(reasoningImport, join(root, 'gsm8k'), { dataset: 'gsm8k', splits: { train: 'gsm8k-train.parquet' }, maxRows: 5 }, { source: src });
    const rows = await readReasoningSplit(join(root, 'gsm8k', 'data'), 'train');
    expect(rows.map((r) => r.answer)).toEqual(['7', '1000']);
    expect(rows[0]!.solution).toBe('He has 3 + 4 = <<3+4=7>>7 apples.');
  });

  it('a MATH solution without \\boxed{} is a data error at its file and line', async () => {
    const bad = join(src, 'math-bad.jsonl');
    writeFileSync(bad, jsonl([MATH_ROWS[0]!, { problem: 'Say 5.', solution: 'The answer is 5.' }]));
    await expect(runPlugin(reasoningImport, join(root, 'bad'), { dataset: 'math', splits: { test: 'math-bad.jsonl' } }, { source: src })).rejects.toThrow(
      `${bad}:2: the solution has no \\boxed{…} answer (or its braces do not close)`,
    );
  });

  it('a GSM8K row without "####" or with the wrong fields is located too', async () => {
    writeFileSync(join(src, 'g-bad.jsonl'), jsonl([{ question: 'q', answer: 'no marker' }]));
    await expect(runPlugin(reasoningImport, join(root, 'g1'), { dataset: 'gsm8k', splits: { test: 'g-bad.jsonl' } }, { source: src })).rejects.toThrow(/g-bad\.jsonl:1: the answer has no "#### <number>" line/);
    await expect(runPlugin(reasoningImport, join(root, 'g2'), { dataset: 'gsm8k', splits: { test: 'math-test.jsonl' } }, { source: src })).rejects.toThrow(/math-test\.jsonl:1: "question" must be a string, got nothing/);
  });

  it('a relative split path without the source input is refused clearly', async () => {
    await expect(runPlugin(reasoningImport, join(root, 'nosrc'), { dataset: 'math', splits: { test: 'math-test.jsonl' } }, {})).rejects.toThrow(/connect the "source" input/);
  });

  it('reads an hf://datasets/… repository through the Hub cache', async () => {
    const server = new HubContractServer('acme/gsm8k', 'v1', [
      { path: 'README.md', content: Buffer.from('# gsm8k\n') },
      { path: 'main/test-00000-of-00001.jsonl', content: Buffer.from(jsonl(GSM8K_ROWS)), lfs: true },
    ]);
    await server.start();
    const cache = join(root, 'hf-cache');
    try {
      const env = { HF_ENDPOINT: server.url, HF_HUB_CACHE: cache };
      const rows = await readReasoningHf('hf://datasets/acme/gsm8k@v1/main', 'gsm8k', { split: 'test', env, maxRows: 1 });
      expect(rows).toEqual([{ id: 'test-0', split: 'test', question: GSM8K_ROWS[0]!.question, solution: 'He has 3 + 4 = <<3+4=7>>7 apples.', answer: '7' }]);
      expect(readFileSync(join(cache, 'datasets--acme--gsm8k', 'refs', 'v1'), 'utf8').length).toBeGreaterThan(0);
    } finally {
      await server.stop();
    }
  });
});
