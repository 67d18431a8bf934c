// Model configurations, and their translation to and from Hugging Face `config.json`.
//
// Field names here are camelCase; the HF names are noted beside each. Defaults are sized for a
// 2-core CPU, not copied from the pretrained models.

import { NodeFailure } from '../../plugin/api.js';

export class ConfigError extends NodeFailure {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

export interface BertConfig {
  /** 'bert' or 'electra' (HF model_type); decides the checkpoint prefix and the head names. */
  modelType: 'bert' | 'electra';
  vocabSize: number; // vocab_size
  hiddenSize: number; // hidden_size
  /** ELECTRA's embedding width (embedding_size); when it differs, `embeddings_project` maps it up. */
  embeddingSize: number;
  numLayers: number; // num_hidden_layers
  numHeads: number; // num_attention_heads
  intermediateSize: number; // intermediate_size
  maxPositions: number; // max_position_embeddings
  typeVocabSize: number; // type_vocab_size
  layerNormEps: number; // layer_norm_eps
  hiddenAct: string; // hidden_act
  hiddenDropout: number; // hidden_dropout_prob
  attentionDropout: number; // attention_probs_dropout_prob
  initializerRange: number; // initializer_range
  padTokenId: number; // pad_token_id
  /** Not in HF BERT: LayerNorm before each sub-block and once at the end (pre_layer_norm). */
  preLayerNorm: boolean;
  /** BertModel's tanh pooler over [CLS] (add_pooling_layer); ELECTRA has none. */
  pooler: boolean;
}

export interface Gpt2Config {
  vocabSize: number; // vocab_size
  hiddenSize: number; // n_embd
  numLayers: number; // n_layer
  numHeads: number; // n_head
  intermediateSize: number; // n_inner (null → 4·n_embd)
  maxPositions: number; // n_positions
  layerNormEps: number; // layer_norm_epsilon
  hiddenAct: string; // activation_function
  residDropout: number; // resid_pdrop
  embdDropout: number; // embd_pdrop
  attentionDropout: number; // attn_pdrop
  initializerRange: number;
  tieWordEmbeddings: boolean; // tie_word_embeddings
  bosTokenId: number;
  eosTokenId: number;
}

export interface LlamaConfig {
  vocabSize: number; // vocab_size
  hiddenSize: number; // hidden_size
  numLayers: number; // num_hidden_layers
  numHeads: number; // num_attention_heads
  numKvHeads: number; // num_key_value_heads
  headDim: number; // head_dim (hidden_size / heads when absent)
  intermediateSize: number; // intermediate_size
  maxPositions: number; // max_position_embeddings
  rmsNormEps: number; // rms_norm_eps
  ropeTheta: number; // rope_theta
  hiddenAct: string; // hidden_act
  attentionBias: boolean; // attention_bias
  mlpBias: boolean; // mlp_bias
  attentionDropout: number; // attention_dropout
  initializerRange: number;
  tieWordEmbeddings: boolean; // tie_word_embeddings
  bosTokenId: number;
  eosTokenId: number;
  padTokenId: number | null;
}

export const BERT_DEFAULTS: BertConfig = {
  modelType: 'bert',
  vocabSize: 8000,
  hiddenSize: 128,
  embeddingSize: 128,
  numLayers: 2,
  numHeads: 4,
  intermediateSize: 512,
  maxPositions: 512,
  typeVocabSize: 2,
  layerNormEps: 1e-12,
  hiddenAct: 'gelu',
  hiddenDropout: 0.1,
  attentionDropout: 0.1,
  initializerRange: 0.02,
  padTokenId: 0,
  preLayerNorm: false,
  pooler: true,
};

export const GPT2_DEFAULTS: Gpt2Config = {
  vocabSize: 8000,
  hiddenSize: 128,
  numLayers: 2,
  numHeads: 4,
  intermediateSize: 512,
  maxPositions: 512,
  layerNormEps: 1e-5,
  hiddenAct: 'gelu_new',
  residDropout: 0.1,
  embdDropout: 0.1,
  attentionDropout: 0.1,
  initializerRange: 0.02,
  tieWordEmbeddings: true,
  bosTokenId: 0,
  eosTokenId: 0,
};

export const LLAMA_DEFAULTS: LlamaConfig = {
  vocabSize: 8000,
  hiddenSize: 128,
  numLayers: 2,
  numHeads: 4,
  numKvHeads: 4,
  headDim: 32,
  intermediateSize: 344,
  maxPositions: 1024,
  rmsNormEps: 1e-6,
  ropeTheta: 10000,
  hiddenAct: 'silu',
  attentionBias: false,
  mlpBias: false,
  attentionDropout: 0,
  initializerRange: 0.02,
  tieWordEmbeddings: false,
  bosTokenId: 1,
  eosTokenId: 2,
  padTokenId: null,
};

export function bertConfig(partial: Partial<BertConfig> = {}): BertConfig {
  const c = { ...BERT_DEFAULTS, ...partial };
  if (partial.embeddingSize === undefined) c.embeddingSize = c.hiddenSize;
  checkHeads('BERT', c.hiddenSize, c.numHeads);
  return c;
}

export function gpt2Config(partial: Partial<Gpt2Config> = {}): Gpt2Config {
  const c = { ...GPT2_DEFAULTS, ...partial };
  if (partial.intermediateSize === undefined) c.intermediateSize = 4 * c.hiddenSize;
  checkHeads('GPT-2', c.hiddenSize, c.numHeads);
  return c;
}

export function llamaConfig(partial: Partial<LlamaConfig> = {}): LlamaConfig {
  const c = { ...LLAMA_DEFAULTS, ...partial };
  if (partial.numKvHeads === undefined) c.numKvHeads = c.numHeads;
  if (partial.headDim === undefined) {
    checkHeads('Llama', c.hiddenSize, c.numHeads);
    c.headDim = c.hiddenSize / c.numHeads;
  }
  if (c.numHeads % c.numKvHeads !== 0) {
    throw new ConfigError(`Llama: num_attention_heads (${c.numHeads}) must be a multiple of num_key_value_heads (${c.numKvHeads})`);
  }
  if (c.headDim % 2 !== 0) throw new ConfigError(`Llama: head_dim (${c.headDim}) must be even for rotary positions`);
  return c;
}

function checkHeads(what: string, hidden: number, heads: number): void {
  if (!Number.isInteger(hidden / heads)) {
    throw new ConfigError(`${what}: hidden size ${hidden} is not divisible by ${heads} attention heads`);
  }
}

// ---- Hugging Face config.json ----

export type HfConfig = Record<string, unknown>;

export type ArchitectureConfig =
  | { family: 'bert'; config: BertConfig }
  | { family: 'gpt2'; config: Gpt2Config }
  | { family: 'llama'; config: LlamaConfig };

type Reader = <T>(key: string, fallback: T) => T;

function reader(hf: HfConfig, file: string): Reader {
  return <T>(key: string, fallback: T): T => {
    const v = hf[key];
    if (v === undefined || v === null) return fallback;
    if (typeof fallback === 'number' && typeof v !== 'number') throw new ConfigError(`${file}: "${key}" must be a number, got ${JSON.stringify(v)}`);
    if (typeof fallback === 'boolean' && typeof v !== 'boolean') throw new ConfigError(`${file}: "${key}" must be true or false, got ${JSON.stringify(v)}`);
    if (typeof fallback === 'string' && typeof v !== 'string') throw new ConfigError(`${file}: "${key}" must be a string, got ${JSON.stringify(v)}`);
    return v as T;
  };
}

const FAMILY_OF: Record<string, ArchitectureConfig['family']> = {
  bert: 'bert',
  electra: 'bert',
  gpt2: 'gpt2',
  llama: 'llama',
};

/** Which family a config.json describes, from `model_type`, else `architectures`. */
export function familyOf(hf: HfConfig, file = 'config.json'): { family: ArchitectureConfig['family']; modelType: string } {
  const modelType = typeof hf.model_type === 'string' ? hf.model_type : undefined;
  if (modelType && FAMILY_OF[modelType]) return { family: FAMILY_OF[modelType], modelType };
  const archs = Array.isArray(hf.architectures) ? hf.architectures.filter((a): a is string => typeof a === 'string') : [];
  for (const a of archs) {
    if (/^Bert/.test(a)) return { family: 'bert', modelType: 'bert' };
    if (/^Electra/.test(a)) return { family: 'bert', modelType: 'electra' };
    if (/^GPT2/.test(a)) return { family: 'gpt2', modelType: 'gpt2' };
    if (/^Llama/.test(a)) return { family: 'llama', modelType: 'llama' };
  }
  const named = [modelType && `model_type "${modelType}"`, archs.length > 0 && `architectures ${JSON.stringify(archs)}`].filter(Boolean).join(', ');
  throw new ConfigError(
    `${file}: unsupported architecture (${named || 'no model_type or architectures given'}); supported: BERT, ELECTRA (and E5-style BERT encoders), GPT-2, Llama`,
  );
}

export function fromHfConfig(hf: HfConfig, file = 'config.json'): ArchitectureConfig {
  const { family, modelType } = familyOf(hf, file);
  const r = reader(hf, file);
  if (family === 'bert') {
    const hidden = r('hidden_size', BERT_DEFAULTS.hiddenSize);
    return {
      family,
      config: bertConfig({
        modelType: modelType === 'electra' ? 'electra' : 'bert',
        vocabSize: r('vocab_size', BERT_DEFAULTS.vocabSize),
        hiddenSize: hidden,
        embeddingSize: r('embedding_size', hidden),
        numLayers: r('num_hidden_layers', BERT_DEFAULTS.numLayers),
        numHeads: r('num_attention_heads', BERT_DEFAULTS.numHeads),
        intermediateSize: r('intermediate_size', BERT_DEFAULTS.intermediateSize),
        maxPositions: r('max_position_embeddings', BERT_DEFAULTS.maxPositions),
        typeVocabSize: r('type_vocab_size', BERT_DEFAULTS.typeVocabSize),
        layerNormEps: r('layer_norm_eps', BERT_DEFAULTS.layerNormEps),
        hiddenAct: r('hidden_act', BERT_DEFAULTS.hiddenAct),
        hiddenDropout: r('hidden_dropout_prob', BERT_DEFAULTS.hiddenDropout),
        attentionDropout: r('attention_probs_dropout_prob', BERT_DEFAULTS.attentionDropout),
        initializerRange: r('initializer_range', BERT_DEFAULTS.initializerRange),
        padTokenId: r('pad_token_id', BERT_DEFAULTS.padTokenId),
        preLayerNorm: r('pre_layer_norm', false),
        pooler: modelType !== 'electra',
      }),
    };
  }
  if (family === 'gpt2') {
    const hidden = r('n_embd', GPT2_DEFAULTS.hiddenSize);
    return {
      family,
      config: gpt2Config({
        vocabSize: r('vocab_size', GPT2_DEFAULTS.vocabSize),
        hiddenSize: hidden,
        numLayers: r('n_layer', GPT2_DEFAULTS.numLayers),
        numHeads: r('n_head', GPT2_DEFAULTS.numHeads),
        intermediateSize: r('n_inner', 4 * hidden),
        maxPositions: r('n_positions', GPT2_DEFAULTS.maxPositions),
        layerNormEps: r('layer_norm_epsilon', GPT2_DEFAULTS.layerNormEps),
        hiddenAct: r('activation_function', GPT2_DEFAULTS.hiddenAct),
        residDropout: r('resid_pdrop', GPT2_DEFAULTS.residDropout),
        embdDropout: r('embd_pdrop', GPT2_DEFAULTS.embdDropout),
        attentionDropout: r('attn_pdrop', GPT2_DEFAULTS.attentionDropout),
        initializerRange: r('initializer_range', GPT2_DEFAULTS.initializerRange),
        tieWordEmbeddings: r('tie_word_embeddings', true),
        bosTokenId: r('bos_token_id', GPT2_DEFAULTS.bosTokenId),
        eosTokenId: r('eos_token_id', GPT2_DEFAULTS.eosTokenId),
      }),
    };
  }
  if (hf.rope_scaling !== undefined && hf.rope_scaling !== null) {
    throw new ConfigError(`${file}: "rope_scaling" is not supported (plain rotary positions only)`);
  }
  const hidden = r('hidden_size', LLAMA_DEFAULTS.hiddenSize);
  const heads = r('num_attention_heads', LLAMA_DEFAULTS.numHeads);
  return {
    family,
    config: llamaConfig({
      vocabSize: r('vocab_size', LLAMA_DEFAULTS.vocabSize),
      hiddenSize: hidden,
      numLayers: r('num_hidden_layers', LLAMA_DEFAULTS.numLayers),
      numHeads: heads,
      numKvHeads: r('num_key_value_heads', heads),
      headDim: r('head_dim', hidden / heads),
      intermediateSize: r('intermediate_size', LLAMA_DEFAULTS.intermediateSize),
      maxPositions: r('max_position_embeddings', LLAMA_DEFAULTS.maxPositions),
      rmsNormEps: r('rms_norm_eps', LLAMA_DEFAULTS.rmsNormEps),
      ropeTheta: r('rope_theta', LLAMA_DEFAULTS.ropeTheta),
      hiddenAct: r('hidden_act', LLAMA_DEFAULTS.hiddenAct),
      attentionBias: r('attention_bias', false),
      mlpBias: r('mlp_bias', false),
      attentionDropout: r('attention_dropout', 0),
      initializerRange: r('initializer_range', LLAMA_DEFAULTS.initializerRange),
      tieWordEmbeddings: r('tie_word_embeddings', false),
      bosTokenId: r('bos_token_id', LLAMA_DEFAULTS.bosTokenId),
      eosTokenId: r('eos_token_id', LLAMA_DEFAULTS.eosTokenId),
      padTokenId: r<number | null>('pad_token_id', null),
    }),
  };
}

/** config.json for a model of ours; `architectures` names the HF class the weights fit. */
export function toHfConfig(arch: ArchitectureConfig, architecture: string): HfConfig {
  if (arch.family === 'bert') {
    const c = arch.config;
    const hf: HfConfig = {
      architectures: [architecture],
      model_type: c.modelType,
      vocab_size: c.vocabSize,
      hidden_size: c.hiddenSize,
      num_hidden_layers: c.numLayers,
      num_attention_heads: c.numHeads,
      intermediate_size: c.intermediateSize,
      max_position_embeddings: c.maxPositions,
      type_vocab_size: c.typeVocabSize,
      layer_norm_eps: c.layerNormEps,
      hidden_act: c.hiddenAct,
      hidden_dropout_prob: c.hiddenDropout,
      attention_probs_dropout_prob: c.attentionDropout,
      initializer_range: c.initializerRange,
      pad_token_id: c.padTokenId,
      position_embedding_type: 'absolute',
    };
    if (c.modelType === 'electra') hf.embedding_size = c.embeddingSize;
    if (c.preLayerNorm) hf.pre_layer_norm = true;
    return hf;
  }
  if (arch.family === 'gpt2') {
    const c = arch.config;
    return {
      architectures: [architecture],
      model_type: 'gpt2',
      vocab_size: c.vocabSize,
      n_embd: c.hiddenSize,
      n_layer: c.numLayers,
      n_head: c.numHeads,
      n_inner: c.intermediateSize,
      n_positions: c.maxPositions,
      n_ctx: c.maxPositions,
      layer_norm_epsilon: c.layerNormEps,
      activation_function: c.hiddenAct,
      resid_pdrop: c.residDropout,
      embd_pdrop: c.embdDropout,
      attn_pdrop: c.attentionDropout,
      initializer_range: c.initializerRange,
      tie_word_embeddings: c.tieWordEmbeddings,
      bos_token_id: c.bosTokenId,
      eos_token_id: c.eosTokenId,
    };
  }
  const c = arch.config;
  return {
    architectures: [architecture],
    model_type: 'llama',
    vocab_size: c.vocabSize,
    hidden_size: c.hiddenSize,
    num_hidden_layers: c.numLayers,
    num_attention_heads: c.numHeads,
    num_key_value_heads: c.numKvHeads,
    head_dim: c.headDim,
    intermediate_size: c.intermediateSize,
    max_position_embeddings: c.maxPositions,
    rms_norm_eps: c.rmsNormEps,
    rope_theta: c.ropeTheta,
    hidden_act: c.hiddenAct,
    attention_bias: c.attentionBias,
    mlp_bias: c.mlpBias,
    attention_dropout: c.attentionDropout,
    initializer_range: c.initializerRange,
    tie_word_embeddings: c.tieWordEmbeddings,
    bos_token_id: c.bosTokenId,
    eos_token_id: c.eosTokenId,
    pad_token_id: c.padTokenId,
  };
}
