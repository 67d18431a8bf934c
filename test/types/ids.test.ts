// Keys and node ids are branded strings: a raw string is neither, and one is not the other. The type
// half of this file is checked by `npx tsc -p test/tsconfig.json` (part of `npm test`): each line
// under a `@ts-expect-error` must fail to compile, so a brand that stops rejecting raw strings makes
// that line compile and tsc fail. The run-time half checks the functions that make them from text.
import { describe, expect, expectTypeOf, it } from 'vitest';
import { queueReasons, type Display } from '../../src/exec/display.js';
import type { RunEvent } from '../../src/exec/events.js';
import type { NodeReport } from '../../src/exec/scheduler.js';
import { keyOf, type NodeKey } from '../../src/graph/key.js';
import { selectNodes } from '../../src/graph/node-selection.js';
import type { Plan, PlannedNode, PlanOptions } from '../../src/graph/plan.js';
import type { CompiledRecipe, InputRef, NodeSpec } from '../../src/graph/types.js';
import type { Manifest, ManifestFields } from '../../src/store/manifest.js';
import type { RunRecordNode } from '../../src/store/runs.js';
import type { Staging, Store } from '../../src/store/store.js';
import type { TrialRunInfo } from '../../src/track/sweep-runs.js';
import { isKey, keyFromDigest, nodeId, parseKey, type Key, type NodeId } from '../../src/util/ids.js';

const HEX = 'ab'.repeat(32);

describe('branded keys and node ids (types)', () => {
  it('a raw string is neither a key nor a node id, and the two do not mix', () => {
    expectTypeOf<string>().not.toExtend<Key>();
    expectTypeOf<string>().not.toExtend<NodeId>();
    expectTypeOf<Key>().not.toExtend<NodeId>();
    expectTypeOf<NodeId>().not.toExtend<Key>();
    // Both are still strings wherever a string is read.
    expectTypeOf<Key>().toExtend<string>();
    expectTypeOf<NodeId>().toExtend<string>();
  });

  it('the compiler and the store speak in keys', () => {
    expectTypeOf(keyOf).returns.toEqualTypeOf<Key>();
    expectTypeOf<NodeKey['key']>().toEqualTypeOf<Key>();
    expectTypeOf<PlannedNode['key']>().toEqualTypeOf<Key>();
    expectTypeOf<Parameters<Store['lookup']>[0]>().toEqualTypeOf<Key>();
    expectTypeOf<Parameters<Store['beginWrite']>[0]>().toEqualTypeOf<Key>();
    expectTypeOf<Parameters<Store['tryLease']>[0]>().toEqualTypeOf<Key>();
  });

  it('rejects a raw string or a node id where a key is expected', () => {
    const calls = (store: Store, raw: string, id: NodeId, key: Key) => {
      // @ts-expect-error a raw string is not a key
      void store.lookup(raw);
      // @ts-expect-error a node id is not a key
      void store.lookup(id);
      // @ts-expect-error a raw string is not a node id
      const named: NodeId = raw;
      // @ts-expect-error a key is not a node id
      const misnamed: NodeId = key;
      void store.lookup(key);
      return [named, misnamed];
    };
    expect(calls).toBeTypeOf('function');
  });
});

describe('node ids where they live (types)', () => {
  it('the compiled recipe, the plan, the run events, the run record and a sweep\'s trials speak in node ids', () => {
    expectTypeOf<NodeSpec['id']>().toEqualTypeOf<NodeId>();
    expectTypeOf<NodeSpec['upstream']>().toEqualTypeOf<NodeId[]>();
    expectTypeOf<Extract<InputRef, { kind: 'node' }>['node']>().toEqualTypeOf<NodeId>();
    expectTypeOf<CompiledRecipe['order']>().toEqualTypeOf<NodeId[]>();
    expectTypeOf<CompiledRecipe['nodes']>().toEqualTypeOf<Map<NodeId, NodeSpec>>();
    expectTypeOf<CompiledRecipe['stages']>().toEqualTypeOf<Map<string, NodeId[]>>();
    expectTypeOf<Plan['nodes']>().toEqualTypeOf<Map<NodeId, PlannedNode>>();
    expectTypeOf<Plan['order']>().toEqualTypeOf<NodeId[]>();
    expectTypeOf<NonNullable<PlanOptions['targets']>>().toEqualTypeOf<readonly NodeId[]>();
    expectTypeOf<NonNullable<PlanOptions['force']>>().toEqualTypeOf<readonly NodeId[]>();
    expectTypeOf<NodeReport['id']>().toEqualTypeOf<NodeId>();
    expectTypeOf<Extract<RunEvent, { type: 'node-log' }>['nodeId']>().toEqualTypeOf<NodeId>();
    expectTypeOf<Extract<RunEvent, { type: 'node-finished' }>['node']['id']>().toEqualTypeOf<NodeId>();
    expectTypeOf<RunRecordNode['id']>().toEqualTypeOf<NodeId>();
    expectTypeOf<TrialRunInfo['nodes']>().toEqualTypeOf<NodeId[]>();
  });

  it('the run display and a store entry\'s manifest speak in node ids', () => {
    type NodeLines = Pick<Display, 'nodeStarted' | 'nodeProgress' | 'nodeLog' | 'nodeQueued' | 'nodeRetry' | 'nodeEnded'>;
    expectTypeOf<{ [M in keyof NodeLines]: Parameters<NodeLines[M]>[0] }>().toEqualTypeOf<Record<keyof NodeLines, NodeId>>();
    expectTypeOf(queueReasons).parameter(0).toEqualTypeOf<ReadonlyMap<NodeId, string>>();
    expectTypeOf<Manifest['nodeId']>().toEqualTypeOf<NodeId>();
    expectTypeOf<ManifestFields['nodeId']>().toEqualTypeOf<NodeId>();
  });

  it('rejects a raw string or a key where a node id is expected, and a node id where a key is', () => {
    const calls = (plan: Plan, recipe: CompiledRecipe, raw: string, id: NodeId, key: Key) => {
      // @ts-expect-error a raw string is not a node id
      void plan.nodes.get(raw);
      // @ts-expect-error a key is not a node id
      void plan.nodes.get(key);
      // @ts-expect-error a --target string reaches the plan only through selectNodes
      const options: PlanOptions = { targets: [raw] };
      // @ts-expect-error a raw string is not a run record's node id
      const node: RunRecordNode = { id: raw, stage: 's', key, outcome: 'ran' };
      // @ts-expect-error a node id is not a key
      const misnamed: Key = id;
      const selection = selectNodes(recipe, [raw], '--target');
      return [plan.nodes.get(id), options, node, misnamed, selection.ok ? plan.nodes.get(selection.nodes[0]!) : undefined];
    };
    expect(calls).toBeTypeOf('function');
  });

  it('rejects a raw string or a key where the display or a manifest expects a node id', () => {
    const calls = (display: Display, store: Store, staging: Staging, fields: ManifestFields, raw: string, id: NodeId, key: Key) => {
      // @ts-expect-error a raw string is not the node a display line names
      display.nodeStarted(raw);
      // @ts-expect-error a key is not a node id
      display.nodeStarted(key);
      // @ts-expect-error a raw string is not a node id
      display.nodeProgress(raw, 1, 2);
      // @ts-expect-error a raw string is not a node id
      display.nodeLog(raw, 'info', 'line');
      // @ts-expect-error a raw string is not a node id
      display.nodeQueued(raw, 'Resources');
      // @ts-expect-error a raw string is not a node id
      display.nodeRetry(raw, 'preempted');
      // @ts-expect-error a raw string is not a node id
      display.nodeEnded(raw, 'ran');
      // @ts-expect-error queued jobs are keyed by node id
      const reasons = queueReasons(new Map([[raw, 'Priority']]));
      // @ts-expect-error a raw string is not the node id a manifest records
      const published = store.publish(staging, { ...fields, nodeId: raw });
      // @ts-expect-error a key is not a node id
      const misnamed: Manifest['nodeId'] = key;
      display.nodeEnded(id, 'ran');
      return [reasons, published, misnamed, store.publish(staging, { ...fields, nodeId: id }), queueReasons(new Map([[id, 'Priority']]))];
    };
    expect(calls).toBeTypeOf('function');
  });
});

describe('making keys and node ids from text', () => {
  it('takes 64 lowercase hex digits as a key, and nothing else', () => {
    expect(parseKey(HEX)).toBe(HEX);
    expect(isKey(HEX)).toBe(true);
    for (const bad of ['', HEX.slice(1), HEX.toUpperCase(), `${HEX}0`, `${HEX.slice(1)}g`, ` ${HEX.slice(1)}`]) {
      expect(parseKey(bad)).toBeUndefined();
      expect(isKey(bad)).toBe(false);
    }
    expect(isKey(42)).toBe(false);
  });

  it('keeps the text of a digest and of a node id as it is', () => {
    expect(keyFromDigest(HEX)).toBe(HEX);
    expect(nodeId('train[rte]')).toBe('train[rte]');
  });
});
