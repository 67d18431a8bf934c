// The training and mining plugins declare their params once, in the schema: the exported params
// types are read from it (nested defaults included), and they still fit the library calls the
// plugins make with them. Type-level checks: tsc -p test/tsconfig.json fails on them.
import { describe, expectTypeOf, it } from 'vitest';
import beirRetriever, { type BeirRetrieverParams } from '../../plugins/beir-retriever/index.js';
import type { ArchitectureParams } from '../../plugins/beir-retriever/init.js';
import negatives, { type NegativesParams } from '../../plugins/negatives/index.js';
import retriever, { type RetrieverParams } from '../../plugins/retriever/index.js';
import type { IndexChoice } from '../../plugins/retriever/retrieve.js';
import type { TrainSettings } from '../../plugins/retriever/training.js';
import rewardModel, { type RewardModelParams } from '../../plugins/reward-model/index.js';
import type { joinScores } from '../../plugins/reward-model/queries.js';
import type { NegativesParam } from '../../src/lib/negatives/for-examples.js';
import type { StrategySettings } from '../../src/lib/negatives/mine.js';
import type { StrategyName } from '../../src/lib/negatives/types.js';
import type { Quantize } from '../../src/lib/nn/index/native-hnsw.js';
import type { PluginParams } from '../../src/plugin/api.js';

describe('params read from the schema', () => {
  it('negatives: nested defaults are present, and the settings fit the miners', () => {
    expectTypeOf<NegativesParams>().toEqualTypeOf<PluginParams<typeof negatives>>();
    expectTypeOf<NegativesParams['strategy']>().toEqualTypeOf<StrategyName>();
    expectTypeOf<NegativesParams['tasks']>().toEqualTypeOf<string[] | undefined>();
    expectTypeOf<NegativesParams['window']>().toEqualTypeOf<{ start: number; end?: number; margin?: number; topUp: 'random' | 'none' }>();
    expectTypeOf<NegativesParams['simans']>()
      .toEqualTypeOf<{ a: number; b: number; k?: number; variant: 'gaussian' | 'laplacian'; scale: number; standardize: boolean }>();
    expectTypeOf<Pick<NegativesParams, 'simans' | 'sameDocument' | 'softLabel'>>().toExtend<StrategySettings>();
  });

  it('beir-retriever: architecture params stay optional (an init folder decides them)', () => {
    expectTypeOf<BeirRetrieverParams>().toEqualTypeOf<PluginParams<typeof beirRetriever>>();
    expectTypeOf<Pick<BeirRetrieverParams, keyof ArchitectureParams>>()
      .toEqualTypeOf<{ hiddenSize?: number; layers?: number; heads?: number; intermediateSize?: number; vocabSize?: number }>();
    expectTypeOf<BeirRetrieverParams>().toExtend<ArchitectureParams>();
    expectTypeOf<BeirRetrieverParams['negatives']>().toEqualTypeOf<'in-batch' | 'group'>();
    expectTypeOf<BeirRetrieverParams['set']>().toEqualTypeOf<string | undefined>();
  });

  it('reward-model: every param has a default, and the group settings fit joinScores', () => {
    expectTypeOf<RewardModelParams>().toEqualTypeOf<PluginParams<typeof rewardModel>>();
    expectTypeOf<RewardModelParams['seed']>().toEqualTypeOf<number>();
    expectTypeOf<RewardModelParams['useLabel']>().toEqualTypeOf<boolean>();
    expectTypeOf<RewardModelParams>().toExtend<Parameters<typeof joinScores>[2]>();
  });

  it('retriever: seed and remine stay optional (keys of recipes without them), and the settings fit training', () => {
    expectTypeOf<RetrieverParams>().toEqualTypeOf<PluginParams<typeof retriever>>();
    expectTypeOf<RetrieverParams['seed']>().toEqualTypeOf<number | undefined>();
    expectTypeOf<RetrieverParams['remine']>().toEqualTypeOf<{ every: number; depth: number } | undefined>();
    expectTypeOf<RetrieverParams['negatives']>().toExtend<NegativesParam>();
    expectTypeOf<RetrieverParams>().toExtend<Omit<TrainSettings, 'seed' | 'checkpoint'>>();
    expectTypeOf<RetrieverParams['index']>().toEqualTypeOf<IndexChoice>();
    expectTypeOf<RetrieverParams['quantize']>().toEqualTypeOf<Quantize>();
  });
});
