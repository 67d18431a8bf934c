// A student whose samples are known in advance, for tests of sampling and voting: a one-layer
// Llama decoder whose blocks add nothing (o_proj = down_proj = 0), so the logits depend on the
// current token only, with one-hot embeddings and an lm_head that writes a bigram table. After
// the prompt it writes ending(A) or ending(B) (default " The answer is A."; each with probability
// 1/2 at any temperature: their logits are equal) and then end-of-text. Saved in the nat-pretrain layout.

import * as tf from '@tensorflow/tfjs';
import { LlamaDecoder } from '../../src/lib/nn/models/llama.js';
import { savePretrained } from '../../src/lib/nn/pretrained.js';
import { trainByteLevelBpe } from '../../src/lib/nn/tokenizer/trainers/train.js';
import { END_OF_TEXT, PAD, promptOf } from '../../src/lib/reasoning/student.js';

/** Saves the student to `dir`; every prompt of `questions` ends on the same token. */
export async function saveBigramStudent(dir: string, questions: string[], answers: [string, string], ending = (a: string) => ` The answer is ${a}.`): Promise<void> {
  const endings = answers.map(ending);
  // The endings, repeated, are merged first: each becomes a few distinct tokens.
  const repeated = Array.from({ length: 50 }, () => endings).flat();
  const tok = trainByteLevelBpe([...repeated, ...questions.map(promptOf)], { vocabSize: 320, minFrequency: 2, specialTokens: [PAD, END_OF_TEXT] });
  const eos = tok.tokenToId(END_OF_TEXT)!;
  const v = tok.vocabSize;
  const ids = (text: string) => tok.encode(text, { addSpecialTokens: false }).ids;
  const last = [...new Set(questions.map((q) => ids(promptOf(q)).at(-1)!))];
  if (last.length !== 1) throw new Error(`the prompts end on different tokens: ${last}`);

  // next[t] = the tokens that may follow t (equally likely).
  const next = new Map<number, Set<number>>();
  const link = (a: number, b: number) => next.set(a, (next.get(a) ?? new Set()).add(b));
  for (const ending of endings) {
    const chain = [last[0], ...ids(ending), eos];
    for (let i = 0; i + 1 < chain.length; i++) link(chain[i]!, chain[i + 1]!);
  }
  // Only the branch point (the token before the answer) may have two successors.
  const forks = [...next.values()].filter((s) => s.size > 1);
  if (forks.length !== 1 || forks[0]!.size !== 2) throw new Error('the two endings must share a prefix, then part once');

  const hidden = v + (v % 2); // rotary positions need an even head width
  const model = new LlamaDecoder({ vocabSize: v, hiddenSize: hidden, numLayers: 1, numHeads: 1,
    intermediateSize: 4, maxPositions: 512, tieWordEmbeddings: false }, 0);
  const head = new Float32Array(v * hidden); // [out, in]
  for (const [from, tos] of next) for (const to of tos) head[to * hidden + from] = 2; // × √hidden after RMSNorm of a one-hot
  const state = new Map<string, tf.Tensor>();
  for (const [name, t] of model.stateDict()) {
    if (name === 'model.embed_tokens.weight') state.set(name, tf.eye(v, hidden));
    else if (name === 'lm_head.weight') state.set(name, tf.tensor2d(head, [v, hidden]));
    else if (/o_proj|down_proj/.test(name)) state.set(name, tf.zerosLike(t));
    else state.set(name, t.clone());
  }
  model.loadStateDict(state);
  for (const t of state.values()) t.dispose();
  await savePretrained(dir, model, { tokenizerJson: JSON.stringify(tok.toJSON()) });
  model.dispose();
}
