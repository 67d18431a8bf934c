// foreach/repeat expansion: node ids, items and iterations, prev/initial, and what a stage reference resolves to.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileRecipe } from '../../src/graph/compile.js';
import type { CompiledRecipe } from '../../src/graph/types.js';
import { nodeId } from '../../src/util/ids.js';

let dir: string;
let n = 0;
beforeAll(() => { dir = mkdtempSync(join(tmpdir(), 'retort-expand-')); });
afterAll(() => { rmSync(dir, { recursive: true, force: true }); });

async function compileText(lines: string[]): Promise<CompiledRecipe> {
  const file = join(dir, `recipe-${n++}.yaml`);
  writeFileSync(file, lines.join('\n') + '\n');
  return compileRecipe(file, { env: {} });
}

const node = (id: string, port: string) => ({ kind: 'node', node: id, port });

/** A foreach stage of three instances, then a stage `merge` up to its inputs (each test writes those). */
const SAMPLED_THEN_MERGED = [
  'stages:',
  '  sample:',
  '    plugin: numbers',
  '    foreach: [3, 1, 2]',
  '    params:',
  '      seed: ${item}',
  '  merge:',
  '    plugin: shell',
  '    inputs:',
];

describe('foreach', () => {
  it('makes one node per item, named stage[item], with ${item} bound', async () => {
    const r = await compileText([
      'vars:',
      '  seeds: [1, 2, 3]',
      'stages:',
      '  sample:',
      '    plugin: numbers',
      '    foreach: ${vars.seeds}',
      '    params:',
      '      seed: ${item}',
      '      count: 5',
    ]);
    expect(r.stages.get('sample')).toEqual(['sample[1]', 'sample[2]', 'sample[3]']);
    expect(r.nodes.get(nodeId('sample[2]'))).toMatchObject({ stage: 'sample', item: 2, itemKey: '2', params: { seed: 2, count: 5, distribution: 'normal' } });
  });

  it('names mapping items by their name (or id, or key) field, else by index; repeated keys get ~2', async () => {
    const r = await compileText([
      'stages:',
      '  named:',
      '    plugin: numbers',
      '    foreach: [{ name: rte, n: 1 }, { name: boolq, n: 2 }]',
      '    params:',
      '      count: ${item.n}',
      '  anonymous:',
      '    plugin: numbers',
      '    foreach: [[1], [2]]',
      '  repeated:',
      '    plugin: numbers',
      '    foreach: [a, a, b]',
    ]);
    expect(r.stages.get('named')).toEqual(['named[rte]', 'named[boolq]']);
    expect(r.nodes.get(nodeId('named[boolq]'))!.params.count).toBe(2);
    expect(r.stages.get('anonymous')).toEqual(['anonymous[0]', 'anonymous[1]']);
    expect(r.stages.get('repeated')).toEqual(['repeated[a]', 'repeated[a~2]', 'repeated[b]']);
  });

  it('a node read more than once is upstream once, in the order the inputs first name it', async () => {
    const r = await compileText([
      ...SAMPLED_THEN_MERGED,
      '      in:',
      '        - ${stages.sample[1].outputs.data}',
      '        - ${stages.sample[3].outputs.data}',
      '        - ${stages.sample[1].outputs.data}',
      '    params:',
      '      command: cat $RETORT_IN',
    ]);
    expect(r.nodes.get(nodeId('merge'))!.upstream).toEqual(['sample[1]', 'sample[3]']);
  });

  it('a reference to a foreach stage is the list of its instances for a `many` port', async () => {
    const r = await compileText([
      ...SAMPLED_THEN_MERGED,
      '      in: ${stages.sample.outputs.data}',
      '    params:',
      '      command: cat $RETORT_IN',
    ]);
    expect(r.nodes.get(nodeId('merge'))!.inputs.in).toEqual([node('sample[3]', 'data'), node('sample[1]', 'data'), node('sample[2]', 'data')]);
    expect(r.nodes.get(nodeId('merge'))!.upstream).toEqual(['sample[3]', 'sample[1]', 'sample[2]']);
    expect(r.order.indexOf(nodeId('merge'))).toBe(3);
  });

  it('${stages.s[key].outputs.p} selects one instance, also with the item of a paired foreach', async () => {
    const r = await compileText([
      'vars:',
      '  seeds: [1, 2]',
      'stages:',
      '  sample:',
      '    plugin: numbers',
      '    foreach: ${vars.seeds}',
      '    params:',
      '      seed: ${item}',
      '  first:',
      '    plugin: stats',
      '    inputs:',
      '      data: ${stages.sample[2].outputs.data}',
      '  paired:',
      '    plugin: stats',
      '    foreach: ${vars.seeds}',
      '    inputs:',
      '      data: ${stages.sample[${item}].outputs.data}',
    ]);
    expect(r.nodes.get(nodeId('first'))!.inputs.data).toEqual(node('sample[2]', 'data'));
    expect(r.nodes.get(nodeId('paired[1]'))!.inputs.data).toEqual(node('sample[1]', 'data'));
    expect(r.nodes.get(nodeId('paired[2]'))!.inputs.data).toEqual(node('sample[2]', 'data'));
  });

  it('a list of references and paths makes a list for a `many` port', async () => {
    writeFileSync(join(dir, 'extra.txt'), 'x\n');
    const r = await compileText([
      'stages:',
      '  a:',
      '    plugin: numbers',
      '  all:',
      '    plugin: shell',
      '    inputs:',
      '      in:',
      '        - ${stages.a.outputs.data}',
      '        - extra.txt',
      '    params:',
      '      command: "true"',
    ]);
    expect(r.nodes.get(nodeId('all'))!.inputs.in).toEqual([node('a', 'data'), { kind: 'path', path: join(dir, 'extra.txt') }]);
  });
});

describe('repeat', () => {
  const refine = [
    'stages:',
    '  sample:',
    '    plugin: numbers',
    '  refine:',
    '    plugin: stats',
    '    repeat: 3',
    '    initial:',
    '      data: ${stages.sample.outputs.data}',
    '    inputs:',
    '      data: ${prev.outputs.summary}',
    '    params:',
    '      field: f${iter}',
  ];

  it('unrolls iterations named stage#i, with ${iter}, ${prev.outputs.p} and initial: for iteration 0', async () => {
    const r = await compileText(refine);
    expect(r.stages.get('refine')).toEqual(['refine#0', 'refine#1', 'refine#2']);
    expect(r.nodes.get(nodeId('refine#0'))).toMatchObject({ iteration: 0, params: { field: 'f0' }, inputs: { data: node('sample', 'data') } });
    expect(r.nodes.get(nodeId('refine#1'))!.inputs.data).toEqual(node('refine#0', 'summary'));
    expect(r.nodes.get(nodeId('refine#2'))).toMatchObject({ params: { field: 'f2' }, inputs: { data: node('refine#1', 'summary') } });
    expect(r.order).toEqual(['sample', 'refine#0', 'refine#1', 'refine#2']);
  });

  it('a reference to a repeated stage is its last iteration; [i] and [-1] select one', async () => {
    const r = await compileText([
      ...refine,
      '  final:',
      '    plugin: stats',
      '    inputs:',
      '      data: ${stages.refine.outputs.summary}',
      '  start:',
      '    plugin: stats',
      '    inputs:',
      '      data: ${stages.refine[0].outputs.summary}',
      '  last:',
      '    plugin: stats',
      '    inputs:',
      '      data: ${stages.refine[-1].outputs.summary}',
    ]);
    expect(r.nodes.get(nodeId('final'))!.inputs.data).toEqual(node('refine#2', 'summary'));
    expect(r.nodes.get(nodeId('start'))!.inputs.data).toEqual(node('refine#0', 'summary'));
    expect(r.nodes.get(nodeId('last'))!.inputs.data).toEqual(node('refine#2', 'summary'));
  });

  it('the count may come from a var', async () => {
    const r = await compileText(['vars:', '  rounds: 2', ...refine.map((l) => l.replace('repeat: 3', 'repeat: ${vars.rounds}'))]);
    expect(r.stages.get('refine')).toEqual(['refine#0', 'refine#1']);
  });
});
