// --target, --force and `retort explain STAGE` name stages or node ids; the selection checks each name
// against the compiled recipe and gives node ids, or the first unknown name with where it was given.
import { describe, expect, it } from 'vitest';
import { isNodeOf, selectNodes } from '../../src/graph/node-selection.js';
import type { CompiledRecipe, NodeSpec } from '../../src/graph/types.js';
import { nodeId } from '../../src/util/ids.js';

/** A recipe of three stages: `prepare`, a foreach `train` over two items, and `report`. */
function recipe(): CompiledRecipe {
  const stages = new Map([['prepare', ['prepare']], ['train', ['train[a]', 'train[b]']], ['report', ['report']]].map(([s, ids]) => [s as string, (ids as string[]).map(nodeId)]));
  const nodes = new Map([...stages].flatMap(([stage, ids]) => ids.map((id) => [id, { id, stage } as NodeSpec] as const)));
  return { stages, nodes, order: [...nodes.keys()] } as unknown as CompiledRecipe;
}

describe('selecting nodes by name', () => {
  it('takes a stage name as its nodes and a node id as itself, once each, in the order named', () => {
    expect(selectNodes(recipe(), ['train'], '--target')).toEqual({ ok: true, nodes: ['train[a]', 'train[b]'] });
    expect(selectNodes(recipe(), ['train[b]'], '--target')).toEqual({ ok: true, nodes: ['train[b]'] });
    expect(selectNodes(recipe(), ['report', 'train[b]', 'train'], '--force')).toEqual({ ok: true, nodes: ['report', 'train[b]', 'train[a]'] });
    expect(selectNodes(recipe(), [], '--target')).toEqual({ ok: true, nodes: [] });
  });

  it('gives the first unknown name as a value: where it was given, the nearest name, and the stages', () => {
    expect(selectNodes(recipe(), ['prepare', 'trian', 'nope'], '--target')).toEqual({
      ok: false, error: { where: '--target', name: 'trian', hint: "did you mean 'train'?", stages: ['prepare', 'train', 'report'] },
    });
    expect(selectNodes(recipe(), ['zzzzzz'], 'STAGE')).toEqual({ ok: false, error: { where: 'STAGE', name: 'zzzzzz', stages: ['prepare', 'train', 'report'] } });
  });

  it('suggests node ids as well as stages', () => {
    const result = selectNodes(recipe(), ['train[c]'], '--force');
    expect(result.ok ? undefined : result.error.hint).toBe("did you mean 'train[a]'?");
  });

  it('tells a node id of the recipe from other text', () => {
    expect(isNodeOf(recipe(), 'train[a]')).toBe(true);
    expect(isNodeOf(recipe(), 'train')).toBe(false);
    expect(isNodeOf(recipe(), 'prepare')).toBe(true);
  });
});
