import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TASK_CATEGORIES, type TaskMeta, type TaskRow } from '../../src/lib/data/task.js';
import { listTaskFolders, loadTaskFolder } from '../../src/lib/data/task-folder.js';
import { SHARED_TASKS, SKIP_WITHOUT_SHARED } from '../shared-data.js';
import {
  HELD_OUT_TASKS, TASK_REGISTRY, answerOptions, answerText, labelForWord, renderDemonstration, renderQuery, taskSpecFor,
} from '../../src/lib/tasks/registry.js';

const ROOT = SHARED_TASKS;

describe('TASK_REGISTRY', () => {
  it('has the 30 LLM-R tasks with 3/3/3/5/3/4/3/3/3 per category', () => {
    const specs = Object.values(TASK_REGISTRY);
    expect(specs).toHaveLength(30);
    const counts = TASK_CATEGORIES.map((c) => specs.filter((s) => s.category === c).length);
    expect(counts).toEqual([3, 3, 3, 5, 3, 4, 3, 3, 3]);
    expect([...HELD_OUT_TASKS].sort()).toEqual(['piqa', 'qnli', 'wsc273', 'yelp']);
    for (const s of specs) {
      expect(s.fields.length).toBeGreaterThan(0);
      if (s.type === 'classification') expect(s.labels.length).toBeGreaterThanOrEqual(2);
      else expect(s.labels).toEqual([]);
    }
    expect(TASK_REGISTRY.multirc!.metric).toBe('f1');
    expect(TASK_REGISTRY.nq!.metric).toBe('exact_match');
    expect(TASK_REGISTRY.ag_news!.labels).toEqual(['World', 'Sports', 'Business', 'Technology']);
  });

  it('renders a query from fields and a demonstration as query, newline, label word', () => {
    const rte = TASK_REGISTRY.rte!;
    const row: TaskRow = { id: 'r', fields: { premise: 'It rained all day.', hypothesis: 'The ground got wet.' }, options: ['entailment', 'not_entailment'], output: 'entailment' };
    const query = renderQuery(rte, row);
    expect(query).toContain('It rained all day.');
    expect(query).toContain('"The ground got wet."');
    expect(renderDemonstration(rte, row)).toBe(`${query}\nYes`);
    expect(answerOptions(rte, row)).toEqual(['Yes', 'No']);
    expect(labelForWord(rte, 'No', row.options!)).toBe('not_entailment');
    expect(labelForWord(rte, 'Perhaps', row.options!)).toBeUndefined();
    const e2e: TaskRow = { id: 'e', fields: { meaning_representation: 'name[Aroma], food[Thai]' }, output: 'Aroma serves Thai food.', references: ['x'] };
    expect(renderQuery(TASK_REGISTRY.e2e_nlg!, e2e)).toContain('name = Aroma, food = Thai');
  });
});

describe('taskSpecFor', () => {
  const meta = (over: Partial<TaskMeta>): TaskMeta => ({
    name: 'x', category: 'nli', type: 'classification', metric: 'accuracy', fields: ['premise', 'hypothesis'], labels: ['a', 'b'], splits: {}, ...over,
  });
  it('uses the registry entry for a known name with compatible fields', () => {
    const spec = taskSpecFor(meta({ name: 'snli', labels: ['entailment', 'neutral', 'contradiction'] }));
    expect(spec.template).toBe(TASK_REGISTRY.snli!.template);
    expect(spec.labels).toEqual(['Yes', 'Maybe', 'No']);
  });
  it('falls back to a generic template for unknown tasks or incompatible fields', () => {
    const m = meta({ name: 'gen_toy', fields: ['first_sentence', 'claim'], labels: ['blip', 'blop'] });
    const spec = taskSpecFor(m);
    expect(spec.labels).toEqual(['blip', 'blop']);
    expect(spec.heldOut).toBe(false);
    const row: TaskRow = { id: '1', fields: { first_sentence: 'A', claim: 'B' }, options: ['blip', 'blop'], output: 'blop' };
    expect(renderQuery(m, row)).toBe('First sentence: A\nClaim: B');
    expect(renderDemonstration(m, row)).toBe('First sentence: A\nClaim: B\nblop');
    const renamed = taskSpecFor(meta({ name: 'rte', fields: ['text_a', 'text_b'] }));
    expect(renamed.template).not.toBe(TASK_REGISTRY.rte!.template);
  });
});

describe.skipIf(SKIP_WITHOUT_SHARED)('templates on the shared real tasks', () => {
  it('every shared task renders with its registry template and verbalizes all its labels', async () => {
    for (const dir of await listTaskFolders(ROOT)) {
      const { meta, splits } = await loadTaskFolder(dir, { splits: ['test'], maxRows: { test: 50 } });
      const known = TASK_REGISTRY[meta.name];
      if (!known) continue; // anli, cb: not LLM-R tasks
      expect([meta.category, meta.type, meta.metric], meta.name).toEqual([known.category, known.type, known.metric]);
      const spec = taskSpecFor(meta);
      expect(spec.template, meta.name).toBe(known.template);
      if (meta.type === 'classification') for (const l of meta.labels) expect(known.verbalizer[l], `${meta.name}:${l}`).toBeDefined();
      for (const row of splits.test!) {
        const text = renderDemonstration(meta, row);
        expect(text, row.id).not.toMatch(/undefined/);
        expect(text.endsWith(`\n${answerText(meta, row)}`)).toBe(true);
      }
    }
    expect(existsSync(join(ROOT, 'rte'))).toBe(true);
  });
});
