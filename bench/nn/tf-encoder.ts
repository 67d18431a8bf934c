// The bench encoder written directly in tfjs ops, the same model as bench/nn/torch_encoder.py:
// token + position embeddings, pre-LN blocks, final LN, mean pooling, L2 normalisation,
// in-batch softmax loss, Adam. `variant` switches between formulations so the bench can
// measure what each change buys:
//   plain  — what one writes first: separate Q/K/V projections, rank-4 heads with transposes,
//            layer norm from tf.moments, GELU from erf, gather for embeddings.
//   fused  — one QKV projection, attention as batched matmuls over [b*h, t, dh] with the
//            head split done by one reshape+transpose, and the fused ops from src/lib/nn/kernels
//            (layerNorm, gelu, a gather whose gradient is a scatter-add).
import * as tf from '@tensorflow/tfjs';
import { gelu, layerNorm } from '../../src/lib/nn/kernels/ops.js';

export interface EncoderSize {
  vocab: number;
  d: number;
  heads: number;
  ffn: number;
  layers: number;
  seq: number;
}
export type Variant = 'plain' | 'fused';

interface BlockParams {
  ln1g: tf.Variable; ln1b: tf.Variable;
  wq: tf.Variable; bq: tf.Variable; wk: tf.Variable; bk: tf.Variable; wv: tf.Variable; bv: tf.Variable;
  wqkv: tf.Variable; bqkv: tf.Variable;
  wo: tf.Variable; bo: tf.Variable;
  ln2g: tf.Variable; ln2b: tf.Variable;
  w1: tf.Variable; b1: tf.Variable; w2: tf.Variable; b2: tf.Variable;
}

export class BenchEncoder {
  readonly vars: tf.Variable[] = [];
  private readonly tok: tf.Variable;
  private readonly pos: tf.Variable;
  private readonly blocks: Partial<BlockParams>[] = [];
  private readonly lnfg: tf.Variable;
  private readonly lnfb: tf.Variable;

  constructor(readonly size: EncoderSize, readonly variant: Variant, seed = 0) {
    const { vocab, d, ffn, layers, seq } = size;
    let s = seed;
    const normal = (shape: number[]) => this.add(tf.randomNormal(shape, 0, 0.02, 'float32', ++s));
    const zeros = (shape: number[]) => this.add(tf.zeros(shape));
    const ones = (shape: number[]) => this.add(tf.ones(shape));
    this.tok = normal([vocab, d]);
    this.pos = normal([seq, d]);
    for (let l = 0; l < layers; l++) {
      const b: Partial<BlockParams> = { ln1g: ones([d]), ln1b: zeros([d]), ln2g: ones([d]), ln2b: zeros([d]) };
      if (variant === 'plain') {
        Object.assign(b, { wq: normal([d, d]), bq: zeros([d]), wk: normal([d, d]), bk: zeros([d]), wv: normal([d, d]), bv: zeros([d]) });
      } else {
        Object.assign(b, { wqkv: normal([d, 3 * d]), bqkv: zeros([3 * d]) });
      }
      Object.assign(b, { wo: normal([d, d]), bo: zeros([d]), w1: normal([d, ffn]), b1: zeros([ffn]), w2: normal([ffn, d]), b2: zeros([d]) });
      this.blocks.push(b);
    }
    this.lnfg = ones([d]);
    this.lnfb = zeros([d]);
  }

  private add(t: tf.Tensor): tf.Variable {
    const v = tf.variable(t);
    t.dispose();
    this.vars.push(v);
    return v;
  }

  private norm(x: tf.Tensor2D, g: tf.Variable, b: tf.Variable): tf.Tensor2D {
    if (this.variant === 'fused') return layerNorm(x, g as tf.Tensor1D, b as tf.Tensor1D, 1e-12);
    const { mean, variance } = tf.moments(x, -1, true);
    return x.sub(mean).mul(variance.add(1e-12).rsqrt()).mul(g).add(b) as tf.Tensor2D;
  }

  private act(x: tf.Tensor2D): tf.Tensor2D {
    if (this.variant === 'fused') return gelu(x);
    return x.mul(tf.erf(x.mul(Math.SQRT1_2)).add(1)).mul(0.5) as tf.Tensor2D;
  }

  /** ids, mask: [n, t] int32 → unit vectors [n, d]. */
  encode(ids: tf.Tensor2D, mask: tf.Tensor2D): tf.Tensor2D {
    const { d, heads } = this.size;
    const [n, t] = ids.shape;
    const dh = d / heads;
    const maskF = mask.toFloat();
    // [n, t, d] kept flat as [n*t, d] so every projection is one 2-D matmul.
    let x = tf.gather(this.tok, ids.reshape([n * t])).add(tf.tile(this.pos.slice([0, 0], [t, d]), [n, 1])) as tf.Tensor2D;
    const bias = tf.sub(1, maskF).mul(-1e4).reshape([n, 1, 1, t]); // [n, 1, 1, t]
    for (const b of this.blocks) {
      const h = this.norm(x, b.ln1g!, b.ln1b!);
      let y: tf.Tensor2D;
      if (this.variant === 'plain') {
        const split = (w: tf.Variable, bb: tf.Variable) =>
          tf.matMul(h, w).add(bb).reshape([n, t, heads, dh]).transpose([0, 2, 1, 3]); // [n, h, t, dh]
        const q = split(b.wq!, b.bq!), k = split(b.wk!, b.bk!), v = split(b.wv!, b.bv!);
        const att = tf.matMul(q, k, false, true).mul(1 / Math.sqrt(dh)).add(bias).softmax(); // [n, h, t, t]
        y = tf.matMul(att, v).transpose([0, 2, 1, 3]).reshape([n * t, d]);
      } else {
        // One projection and one transpose give q, k, v for all heads: [3, n*h, t, dh].
        const qkv = tf.matMul(h, b.wqkv!).add(b.bqkv!).reshape([n, t, 3, heads, dh]).transpose([2, 0, 3, 1, 4]).reshape([3, n * heads, t, dh]);
        const [q, k, v] = tf.unstack(qkv) as [tf.Tensor3D, tf.Tensor3D, tf.Tensor3D]; // axis 0 has size 3
        const scores = tf.matMul(q.mul(1 / Math.sqrt(dh)), k, false, true).reshape([n, heads, t, t]).add(bias);
        const att = scores.softmax().reshape([n * heads, t, t]) as tf.Tensor3D;
        y = tf.matMul(att, v).reshape([n, heads, t, dh]).transpose([0, 2, 1, 3]).reshape([n * t, d]);
      }
      x = x.add(tf.matMul(y, b.wo!).add(b.bo!));
      const u = this.act(tf.matMul(this.norm(x, b.ln2g!, b.ln2b!), b.w1!).add(b.b1!) as tf.Tensor2D);
      x = x.add(tf.matMul(u, b.w2!).add(b.b2!));
    }
    x = this.norm(x, this.lnfg, this.lnfb);
    const m = maskF.reshape([n, t, 1]);
    const pooled = x.reshape([n, t, d]).mul(m).sum(1).div(m.sum(1)) as tf.Tensor2D; // [n, d]
    return pooled.div(pooled.square().sum(-1, true).add(1e-24).sqrt()) as tf.Tensor2D;
  }
}

/** In-batch softmax: row i of q should pick column i of p. q, p: [n, d] → scalar. */
export function inBatchLoss(q: tf.Tensor2D, p: tf.Tensor2D, tau: number): tf.Scalar {
  const logits = tf.matMul(q, p, false, true).div(tau) as tf.Tensor2D;
  const n = q.shape[0];
  const labels = tf.oneHot(tf.range(0, n, 1, 'int32'), n);
  return tf.losses.softmaxCrossEntropy(labels, logits) as tf.Scalar;
}
