// The neural core's public entry for plugin authors: backends, models, tokenizers, training,
// checkpoints, Hugging Face folders, losses and vector indexes. Everything here runs on whichever
// TensorFlow.js backend `initBackend()` picks (wasm by default, tfjs-node when installed).

export { initBackend, backendRuntime, plannedBackend, BackendError, type BackendInfo, type BackendName } from './backend.js';
export { Module, StateDictError, type LoadOptions, type LoadReport } from './module.js';
export {
  bertConfig, gpt2Config, llamaConfig, fromHfConfig, toHfConfig, ConfigError,
  BERT_DEFAULTS, GPT2_DEFAULTS, LLAMA_DEFAULTS,
  type BertConfig, type Gpt2Config, type LlamaConfig, type ArchitectureConfig, type HfConfig,
} from './config.js';
export { BertEncoder, type EncoderInputs, type EncoderOutput } from './models/bert.js';
export { Gpt2Decoder } from './models/gpt2.js';
export { LlamaDecoder } from './models/llama.js';
export {
  defaultPositions, cacheLength, selectCacheRows, disposeCache,
  type DecoderInputs, type DecoderOutput, type KvCache, type LayerKv,
} from './models/decoder.js';
export { generate, type CausalLm, type GenerateOptions, type Generation, type FinishReason } from './generate.js';
export { sampleToken, argMax, checkSampling, type SamplingOptions } from './sampling.js';
export { CrossEncoder, ScalarHead, type HeadStyle } from './heads.js';
export { meanPool, clsPool, lastTokenPool, positionsPool, gatherRows, pool, l2Normalize, type PoolingName } from './pooling.js';
export {
  addLora, freezeBase, setAdapters, enableAdapter, disableAdapter, activeAdapters, setAdapterTrainable,
  mergeAdapter, unmergeAdapter, adapterStateDict, loadAdapterStateDict, LoraError, type LoraOptions,
} from './lora.js';
export { loadPretrained, savePretrained, describeModel, type Pretrained, type PretrainedModule, type LoadPretrainedOptions, type SaveOptions } from './pretrained.js';
export {
  readSafetensors, readSafetensorsSync, writeSafetensors, writeSafetensorsSync, encodeSafetensors, decodeSafetensors,
  tensorsToTf, tfToTensors, SafetensorsError, type SafeTensor, type SafeDtype, type SafetensorsFile,
} from './safetensors.js';
export * from './train/index.js';
export * from './tokenizer/index.js';
export {
  groupCrossEntropy, klDivergenceFromLogits, infoNce, fullContrastiveScores, fullContrastiveLoss,
  softLabelContrastiveLoss, pointwiseLoss, powerRankingLoss, pairwiseRankingLoss, causalLmLoss, bagOfTokensLoss,
  inBatchScores, groupScores,
  type Targets, type KlOptions, type ContrastiveOptions, type InfoNceOptions, type FullContrastiveOptions,
  type FullContrastiveScores, type PowerOptions, type PairwiseOptions, type CausalLmOptions, type BagOfTokensOptions,
} from './losses.js';
export { ExactIndex, type ExactIndexOptions, type ExactEngine } from './index/exact.js';
export { HnswIndex, HNSW_DEFAULTS, type HnswIndexOptions, type HnswParams } from './index/hnsw.js';
export { loadVectorIndex } from './index/load.js';
export { calibrateEfSearch, type EfCalibration, type EfCalibrationOptions } from './index/calibrate.js';
export { recallAtK } from './index/recall.js';
export { VectorIndexError, type Metric, type Neighbors, type VectorIndex, type Vectors } from './index/types.js';
