// Params and ports are declared once: the types `run` sees come from the params schema and the
// port declarations. Most checks here are type-level (tsc -p test/tsconfig.json fails on them).
import { describe, expect, expectTypeOf, it } from 'vitest';
import bm25 from '../../plugins/bm25/index.js';
import type { TasksParams } from '../../plugins/tasks/index.js';
import { definePlugin, type PluginContextOf, type PluginDefinition, type PluginParams } from '../../src/plugin/api.js';

const schema = {
  type: 'object',
  additionalProperties: false,
  required: ['name'],
  properties: {
    name: { type: 'string' },
    steps: { type: 'integer', minimum: 1, default: 10 },
    mode: { enum: ['fast', 'slow'], default: 'fast' },
    splits: { type: 'array', items: { type: 'string' }, default: ['train'] },
    limit: { type: 'integer', minimum: 1 },
  },
} as const;

const trainer = definePlugin({
  id: 'trainer',
  version: '1.0.0',
  params: schema,
  inputs: {
    data: { description: 'always given' },
    init: { optional: true },
    extra: { many: true, optional: true },
    shards: { many: true },
  },
  outputs: { model: {}, report: {} },
  run(ctx) {
    // Defaulted properties are present (the engine fills them); others follow `required`.
    expectTypeOf(ctx.params.steps).toEqualTypeOf<number>();
    expectTypeOf(ctx.params.mode).toEqualTypeOf<'fast' | 'slow'>();
    expectTypeOf(ctx.params.splits).toEqualTypeOf<string[]>();
    expectTypeOf(ctx.params.name).toEqualTypeOf<string>();
    expectTypeOf(ctx.params.limit).toEqualTypeOf<number | undefined>();
    // @ts-expect-error a number param is not a string
    const wrong: string = ctx.params.steps;
    // @ts-expect-error a param the schema does not declare
    void ctx.params.stepz;

    expectTypeOf(ctx.inputs.data).toEqualTypeOf<string>();
    expectTypeOf(ctx.inputs.init).toEqualTypeOf<string | undefined>();
    expectTypeOf(ctx.inputs.extra).toEqualTypeOf<string[] | undefined>();
    expectTypeOf(ctx.inputs.shards).toEqualTypeOf<string[]>();
    // @ts-expect-error an input port the plugin does not declare
    void ctx.inputs.other;

    ctx.output('model');
    // @ts-expect-error an output port the plugin does not declare
    ctx.output('models');
    void wrong;
  },
});

describe('definePlugin', () => {
  it('types params from the schema, defaulted properties required', () => {
    expectTypeOf<PluginParams<typeof trainer>>().toEqualTypeOf<{ name: string; steps: number; mode: 'fast' | 'slow'; splits: string[]; limit?: number }>();
  });

  it('gives built-in plugins the params their schemas declare', () => {
    expectTypeOf<PluginParams<typeof bm25>>().toEqualTypeOf<{ k1: number; b: number; topK: number; querySplits: string[]; excludeSameQuery: boolean }>();
    expectTypeOf<TasksParams['suite']>().toEqualTypeOf<'builtin' | 'folders'>();
  });

  it('rejects a call with a param of the wrong type', () => {
    const params = { steps: 'ten' };
    // @ts-expect-error steps is an integer in the schema
    const wrong: PluginParams<typeof trainer> = { name: 'x', mode: 'fast', splits: [], ...params };
    expect(wrong.steps).toBe('ten');
  });

  it('gives helpers the context run receives', () => {
    expectTypeOf<PluginContextOf<typeof trainer>['inputs']['init']>().toEqualTypeOf<string | undefined>();
    expectTypeOf<PluginContextOf<typeof trainer>['params']['steps']>().toEqualTypeOf<number>();
  });

  it('returns the definition as written, so the engine reads the same schema and ports', () => {
    expect(trainer.params).toBe(schema);
    expect(Object.keys(trainer.inputs ?? {})).toEqual(['data', 'init', 'extra', 'shards']);
    const forEngine: PluginDefinition = trainer;
    expect(forEngine.id).toBe('trainer');
  });

  it('still takes params typed by hand', () => {
    const legacy = definePlugin<{ rate: number }>({
      id: 'legacy', version: '1', params: { type: 'object' }, outputs: { out: {} },
      run(ctx) {
        expectTypeOf(ctx.params.rate).toEqualTypeOf<number>();
        expectTypeOf(ctx.inputs).toEqualTypeOf<Record<string, string | string[]>>();
      },
    });
    expect(legacy.id).toBe('legacy');
  });
});
