// The `llara-finetune` stage: retrieval fine-tuning with InfoNCE over in-batch and hard negatives
// (src/lib/llara/finetune.ts). A LLaRA-adapted folder embeds queries with the EBAR prompt and
// passages with the EBAE prompt; a plain base LM with its last token. `encoder: bidirectional`
// instead trains a BERT-style encoder of the base model's size from scratch on the same groups
// (with the base model's tokenizer), the baseline of the same size without causal pretraining.

import { join } from 'node:path';
import { definePlugin, NodeFailure } from '../../src/plugin/api.js';
import { backendRuntime, initBackend } from '../../src/lib/nn/backend.js';
import { BertEncoder } from '../../src/lib/nn/models/bert.js';
import { readBeirFolder } from '../../src/lib/retrieval/beir.js';
import { trainDense, type TrainingGroup } from '../../src/lib/retrieval/dense.js';
import { finetuneRetrieval, mineWithModel } from '../../src/lib/llara/finetune.js';
import { readGroupsFile } from '../../src/lib/llara/groups.js';
import { finishTraining, prepareTraining, trainingParamsSchema } from '../../src/lib/llara/lora-setup.js';
import { asCausal, saveModelFolder } from '../../src/lib/llara/model-io.js';
import { decoderEmbedder, openModel, poolingOf } from '../../src/lib/llara/retrieval-model.js';
import { beirFolders } from '../negatives/beir.js';

const int = (minimum: number, dflt: number, description: string) => ({ type: 'integer', minimum, default: dflt, description }) as const;

export default definePlugin({
  id: 'llara-finetune',
  version: '1.0.0',
  description: 'Dense-retrieval fine-tuning of a (LLaRA-adapted) causal LM with InfoNCE over in-batch and hard negatives; or a bidirectional encoder of the same size trained from scratch on the same groups.',
  runtime: backendRuntime,
  params: {
    type: 'object',
    additionalProperties: false,
    properties: {
      base: { type: 'string', description: 'The model when the `model` input is not given: a folder or hf://owner/name[@revision].' },
      set: { type: 'string', description: 'Which BEIR set of the `beir` input (default: the only one).' },
      trainSplit: { type: 'string', default: 'train', description: 'The qrels split whose queries train.' },
      encoder: { enum: ['decoder', 'bidirectional'], default: 'decoder', description: "'decoder': fine-tune the given model. 'bidirectional': a BERT-style encoder of its size, from scratch, mean pooling." },
      mining: {
        type: 'object', additionalProperties: false, default: { source: 'groups', start: 3, end: 30 },
        description: "Hard negatives: 'groups' reads the negatives stage's groups (BM25 rank window etc.); 'ann' ranks the corpus with the model itself through the vector index and takes unjudged ranks [start, end).",
        properties: { source: { enum: ['groups', 'ann'], default: 'groups' }, start: { type: 'integer', minimum: 0, default: 3 }, end: { type: 'integer', minimum: 1, default: 30 } },
      },
      steps: int(0, 100, 'Optimizer steps.'),
      batchSize: int(1, 16, 'Queries per step.'),
      groupSize: int(2, 4, '1 positive + G−1 hard negatives per query (the released example: 16).'),
      temperature: { type: 'number', exclusiveMinimum: 0, default: 0.05, description: 'τ: scores are cos/τ (the released example: 0.01).' },
      negatives: { enum: ['in-batch', 'group'], default: 'in-batch', description: 'The softmax covers every passage of the batch (in-batch) or the own group.' },
      maxLength: int(8, 96, 'Tokens per query or passage, prompt included.'),
      ...trainingParamsSchema({ lr: 'the released example: 3e-4 with LoRA', warmupDefault: 10, lora: 'LoRA on every projection, merged after training (the released code: rank 64, alpha 16); null = full fine-tuning.' }),
      seed: int(0, 1, 'Seeds the batches, dropout and new weights.'),
      logEvery: int(1, 10, 'Steps between logged training metrics.'),
    },
  },
  inputs: {
    beir: { description: 'The training set: a BEIR folder (or a folder of them) with qrels for trainSplit.' },
    model: { optional: true, description: 'The model folder (causal-lm-pretrain or llara-adapt output).' },
    groups: { optional: true, description: "The negatives stage's `groups` output for that set (with mining.source 'groups')." },
  },
  outputs: { model: { description: 'The fine-tuned model folder (retrieval.json says how it embeds).' } },
  async run(ctx) {
    const p = ctx.params;
    ctx.log.info((await initBackend()).summary);
    const folders = beirFolders(ctx.inputs.beir);
    const folder = p.set === undefined ? (folders.length === 1 ? folders[0] : undefined) : folders.find((f) => f.endsWith(`/${p.set}`));
    if (folder === undefined) throw new NodeFailure(p.set === undefined ? `the beir input holds ${folders.length} sets: name one with \`set\`` : `no BEIR set named ${p.set} in the beir input`);
    const name = folder.split('/').pop()!;
    const data = await readBeirFolder(folder, { splits: [p.trainSplit] });
    const loaded = await openModel(ctx.inputs.model, p.base, 'llara-finetune');
    try {
      let groups: TrainingGroup[];
      if (p.mining.source === 'groups') {
        const dir = ctx.inputs.groups;
        if (dir === undefined) throw new NodeFailure("mining.source 'groups' needs the `groups` input (the negatives stage's output)");
        groups = readGroupsFile(join(dir, `${name}.jsonl`), data);
      } else {
        if (loaded.model instanceof BertEncoder || p.encoder === 'bidirectional') throw new NodeFailure("mining.source 'ann' ranks with the given decoder; use 'groups' for a bidirectional encoder");
        groups = mineWithModel(decoderEmbedder(loaded, loaded.source, p.maxLength), data, data.qrels.get(p.trainSplit)!, p.mining);
      }
      ctx.metric('finetune/groups', groups.length);
      ctx.log.info(`${name}: ${groups.length} training queries with hard negatives (${p.mining.source})`);
      if (p.encoder === 'bidirectional') {
        const c = asCausal(loaded.model, loaded.source).config;
        const encoder = new BertEncoder({
          vocabSize: loaded.tok.vocabSize, hiddenSize: c.hiddenSize, embeddingSize: c.hiddenSize, numLayers: c.numLayers, numHeads: c.numHeads,
          intermediateSize: c.intermediateSize, maxPositions: p.maxLength, hiddenDropout: 0.1, attentionDropout: 0.1, padTokenId: loaded.tok.tokenToId('<pad>') ?? 0, pooler: false,
        }, p.seed);
        try {
          const r = await trainDense({ encoder, tokenizer: loaded.tok, maxLength: p.maxLength }, data, groups, p, { ...ctx, metric: (n, v, s) => ctx.metric(`finetune/${n}`, v, s) });
          ctx.metric('finetune/final_loss', r.lastLoss);
          ctx.log.info(`bidirectional encoder: ${encoder.size()} weights (the decoder had ${loaded.model.size()})`);
          await saveModelFolder(ctx.output('model'), encoder, loaded.tok, { pooling: 'mean', maxLength: p.maxLength });
        } finally {
          encoder.dispose();
        }
        return;
      }
      const embedder = decoderEmbedder(loaded, loaded.source, p.maxLength);
      prepareTraining(embedder.model, p.lora, false, p.seed);
      const r = await finetuneRetrieval(embedder, data, groups, p, ctx);
      finishTraining(embedder.model, p.lora);
      ctx.metric('finetune/final_loss', r.lastLoss);
      const pooling = poolingOf(loaded);
      await saveModelFolder(ctx.output('model'), embedder.model, loaded.tok, { pooling, form: loaded.spec?.form, maxLength: p.maxLength });
    } finally {
      loaded.model.dispose();
    }
  },
});
