// The generated arithmetic suite: deterministic per seed, 2–5 steps, gold rationales that
// compute the answer, disjoint splits, and OOD sets that differ in the way they claim to.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { extractModelAnswer } from '../../src/lib/reasoning/answers.js';
import { readProblems, readSplit, writeSuiteFiles } from '../../src/lib/reasoning/io.js';
import { generateSuite, SPLITS } from '../../src/lib/reasoning/suite.js';
import { IN_DISTRIBUTION_TEMPLATES, OOD_TEMPLATES } from '../../src/lib/reasoning/templates.js';
import { applyOp } from '../../src/lib/reasoning/types.js';

const dir = mkdtempSync(join(tmpdir(), 'retort-arith-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const suite = generateSuite({ seed: 7, trainSize: 300, testSize: 100 });

describe('the arithmetic suite', () => {
  it('is the same for the same seed and different for another', () => {
    expect(JSON.stringify(generateSuite({ seed: 7, trainSize: 300, testSize: 100 }))).toBe(JSON.stringify(suite));
    expect(generateSuite({ seed: 8, trainSize: 300, testSize: 100 }).train[0]!.question).not.toBe(suite.train[0]!.question);
  });

  it('has every split at its size, with unique ids and no question in two splits', () => {
    expect(Object.keys(suite)).toEqual([...SPLITS]);
    expect(suite.train).toHaveLength(300);
    for (const s of SPLITS.slice(1)) expect(suite[s]).toHaveLength(100);
    const all = SPLITS.flatMap((s) => suite[s]);
    expect(new Set(all.map((p) => p.id)).size).toBe(all.length);
    expect(new Set(all.map((p) => p.question)).size).toBe(all.length);
  });

  it('has 2–5 steps whose chain gives the answer, and a gold rationale that states it', () => {
    const counts = new Set<number>();
    for (const p of SPLITS.flatMap((s) => suite[s])) {
      expect(p.steps.length).toBeGreaterThanOrEqual(2);
      expect(p.steps.length).toBeLessThanOrEqual(5);
      counts.add(p.steps.length);
      const value = p.steps.reduce((v, s) => {
        const next = applyOp(v, s.op, s.operand);
        expect(Number.isInteger(next) && next >= 0).toBe(true);
        return next;
      }, p.start);
      expect(value).toBe(p.answer);
      expect(extractModelAnswer(p.rationale)).toBe(String(p.answer));
      expect(p.rationale.split('\n')).toHaveLength(p.steps.length + 2); // start, steps, answer
    }
    expect([...counts].sort()).toEqual([2, 3, 4, 5]);
  });

  it('uses several templates and subjects, and the OOD template set only its own templates', () => {
    const ids = new Set(IN_DISTRIBUTION_TEMPLATES.map((t) => t.name));
    const ood = new Set(OOD_TEMPLATES.map((t) => t.name));
    expect(new Set(suite.train.map((p) => p.template))).toEqual(ids);
    expect(new Set(suite.train.map((p) => p.subject)).size).toBeGreaterThanOrEqual(10);
    expect(new Set(suite['ood-templates'].map((p) => p.template))).toEqual(ood);
    for (const s of ['train', 'test', 'ood-numbers', 'ood-distractors'] as const) for (const p of suite[s]) expect(ids.has(p.template)).toBe(true);
  });

  it('has larger numbers in ood-numbers and distractor sentences only in ood-distractors', () => {
    const maxStart = (s: keyof typeof suite) => Math.max(...suite[s].map((p) => p.start));
    expect(maxStart('train')).toBeLessThanOrEqual(40);
    expect(Math.min(...suite['ood-numbers'].map((p) => p.start))).toBeGreaterThanOrEqual(100);
    for (const s of ['train', 'test', 'ood-templates', 'ood-numbers'] as const) for (const p of suite[s]) expect(p.distractors).toEqual([]);
    for (const p of suite['ood-distractors']) {
      expect(p.distractors.length).toBeGreaterThanOrEqual(1);
      for (const d of p.distractors) expect(p.question).toContain(String(d));
    }
  });

  it('writes one JSON Lines file per split and reads them back; a bad row names file:line', async () => {
    const index = await writeSuiteFiles(dir, suite, { seed: 7 });
    expect(index.splits.map((s) => [s.name, s.rows])).toEqual(SPLITS.map((s) => [s, suite[s].length]));
    expect(await readSplit(dir, 'ood-numbers')).toEqual(suite['ood-numbers']);
    await expect(readSplit(dir, 'dev')).rejects.toThrow(/no split "dev"/);
    const bad = join(dir, 'bad.jsonl');
    writeFileSync(bad, `${JSON.stringify(suite.train[0])}\n${JSON.stringify({ ...suite.train[1], steps: [{ op: '^' }] })}\n`);
    await expect(readProblems(bad)).rejects.toThrow(`${bad}:2: steps[0] must be`);
  });

  it('rejects impossible step bounds', () => {
    expect(() => generateSuite({ seed: 1, trainSize: 1, testSize: 1, minSteps: 4, maxSteps: 3 })).toThrow(/minSteps/);
  });
});
