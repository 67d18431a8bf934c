// Benchmark: training and encoding throughput of the reference encoder (2 pre-LN layers, d 128,
// 4 heads, FFN 512, sequence 64, vocabulary 8k, mean pooling, L2 normalisation, in-batch softmax
// over 32 pairs, Adam) in tfjs on every available backend, against the same model in PyTorch CPU
// (bench/nn/torch_encoder.py) at 1 and 2 threads, measured in this run. Prints ours / PyTorch.
//
//   npx vite-node bench/nn-train.ts [--backends wasm-openblas,wasm,blas,cpu] [--variants plain,fused,bert]
//       [--steps 4] [--torch-threads 1,2] [--profile] [--profile-rounds 3] [--no-torch]
//
// --profile prints, per backend and variant, the kernels of one training step by total time
// (tf.profile, each call's minimum over --profile-rounds steps) and the slowest single calls.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { BertEncoder } from '../src/lib/nn/models/bert.js';
import { l2Normalize, meanPool } from '../src/lib/nn/pooling.js';
import { adamwUpdate } from '../src/lib/nn/kernels/ops.js';
import { BenchEncoder, inBatchLoss, type EncoderSize } from './nn/tf-encoder.js';
import { useBackend, availableBackends } from './nn/backends.js';

const here = dirname(fileURLToPath(import.meta.url));

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return (i >= 0 ? process.argv[i + 1] : undefined) ?? fallback;
}
const flag = (name: string) => process.argv.includes(`--${name}`);

const size: EncoderSize = { vocab: 8192, d: 128, heads: 4, ffn: 512, layers: 2, seq: 64 };
const pairs = Number(arg('pairs', '32'));
const tau = 0.05;
const steps = Number(arg('steps', '4'));
// plain/fused: bench/nn/tf-encoder.ts; bert: the library's BertEncoder (pre-LN, no pooler, no dropout).
type Variant = 'plain' | 'fused' | 'bert';
const variants = arg('variants', 'plain,fused,bert').split(',') as Variant[];

interface Encoder { vars: tf.Variable[]; encode(ids: tf.Tensor2D, mask: tf.Tensor2D): tf.Tensor2D }

function makeEncoder(variant: Variant): Encoder {
  if (variant !== 'bert') return new BenchEncoder(size, variant, 0);
  const bert = new BertEncoder({
    vocabSize: size.vocab, hiddenSize: size.d, embeddingSize: size.d, numLayers: size.layers, numHeads: size.heads,
    intermediateSize: size.ffn, maxPositions: size.seq, preLayerNorm: true, pooler: false,
    hiddenDropout: 0, attentionDropout: 0, layerNormEps: 1e-12,
  }, 0);
  return {
    vars: [...bert.parameters().values()],
    encode: (ids, mask) => l2Normalize(meanPool(bert.forward({ inputIds: ids, attentionMask: mask }).hidden, mask)) as tf.Tensor2D,
  };
}
const torchThreads = arg('torch-threads', '1,2');

/** Per wall second, and per CPU second of this process (steadier on a shared, loaded machine). */
interface Throughput {
  trainPairsPerS: number; encodeSeqPerS: number;
  trainPairsPerCpuS: number; encodeSeqPerCpuS: number;
  loss0: number; lossLast: number;
}

/** Wall and process CPU seconds of `f`. */
function timed(f: () => void): { wall: number; cpu: number } {
  const t0 = performance.now(), c0 = process.cpuUsage();
  f();
  const c = process.cpuUsage(c0);
  return { wall: (performance.now() - t0) / 1000, cpu: (c.user + c.system) / 1e6 };
}

/** Random token ids with lengths in [seq/2, seq], padded with 0, the same recipe as the torch script. */
function batch(seed: number, n: number): { ids: tf.Tensor2D; mask: tf.Tensor2D } {
  let s = seed >>> 0;
  const rand = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  const ids = new Int32Array(n * size.seq);
  const mask = new Int32Array(n * size.seq);
  for (let i = 0; i < n; i++) {
    const len = size.seq / 2 + Math.floor(rand() * (size.seq / 2 + 1));
    for (let j = 0; j < len; j++) {
      ids[i * size.seq + j] = 1 + Math.floor(rand() * (size.vocab - 1));
      mask[i * size.seq + j] = 1;
    }
  }
  return { ids: tf.tensor2d(ids, [n, size.seq], 'int32'), mask: tf.tensor2d(mask, [n, size.seq], 'int32') };
}

/** Adam (no decay) through the one-kernel update of kernels/ops.ts, as torch.optim.Adam. */
class FusedAdam {
  /** Each variable with its first and second moments. */
  private readonly slots: { x: tf.Variable; m: tf.Variable; v: tf.Variable }[];
  private t = 0;
  constructor(private readonly vars: tf.Variable[], private readonly lr: number) {
    const zeros = (x: tf.Variable) => { const z = tf.zerosLike(x); const v = tf.variable(z, false); z.dispose(); return v; };
    this.slots = vars.map((x) => ({ x, m: zeros(x), v: zeros(x) }));
  }
  minimize(f: () => tf.Scalar): tf.Scalar {
    const { value, grads } = tf.variableGrads(f, this.vars);
    this.t++;
    const h = { beta1: 0.9, beta2: 0.999, eps: 1e-8, decay: 1, stepSize: this.lr / (1 - 0.9 ** this.t), bc2Sqrt: Math.sqrt(1 - 0.999 ** this.t) };
    tf.tidy(() => this.slots.forEach(({ x, m, v }) => {
      const grad = grads[x.name];
      if (grad === undefined) throw new Error(`no gradient for ${x.name}`);
      const r = adamwUpdate(x, grad, m, v, h);
      x.assign(r.param); m.assign(r.m); v.assign(r.v);
    }));
    tf.dispose(grads);
    return value;
  }
  dispose(): void { tf.dispose(this.slots.flatMap(({ m, v }) => [m, v])); }
}

function measureTfjs(variant: Variant, profile: boolean): Promise<Throughput> {
  return (async () => {
    const model = makeEncoder(variant);
    // plain: what one writes first (tf.train.adam, ~12 kernels per parameter); the others: one kernel.
    const opt = variant === 'plain' ? tf.train.adam(1e-4) : new FusedAdam(model.vars, 1e-4);
    const data = [0, 1, 2, 3].map((i) => ({ q: batch(2 * i + 1, pairs), p: batch(2 * i + 2, pairs) }));
    const step = (i: number): number => {
      const { q, p } = data[i % data.length]!;
      const f = () => inBatchLoss(model.encode(q.ids, q.mask), model.encode(p.ids, p.mask), tau);
      const loss = opt instanceof FusedAdam ? opt.minimize(f) : (opt.minimize(f, true, model.vars) as tf.Scalar);
      const v = loss.dataSync()[0]!; // a scalar
      loss.dispose();
      return v;
    };
    const loss0 = step(0);
    if (profile) await printProfile((round) => step(1 + round));
    let lossLast = loss0;
    const train = timed(() => { for (let i = 0; i < steps; i++) lossLast = step(i); });

    const [b0, b1] = [data[0]!, data[1]!]; // four batches, made above
    const encIds = tf.concat([b0.q.ids, b1.q.ids]) as tf.Tensor2D;
    const encMask = tf.concat([b0.q.mask, b1.q.mask]) as tf.Tensor2D;
    const encode = () => tf.tidy(() => model.encode(encIds, encMask).dataSync());
    encode();
    const enc = timed(() => { for (let i = 0; i < steps; i++) encode(); });

    tf.dispose([encIds, encMask, ...model.vars, ...data.flatMap((b) => [b.q.ids, b.q.mask, b.p.ids, b.p.mask])]);
    opt.dispose();
    return {
      trainPairsPerS: (steps * pairs) / train.wall, encodeSeqPerS: (steps * 2 * pairs) / enc.wall,
      trainPairsPerCpuS: (steps * pairs) / train.cpu, encodeSeqPerCpuS: (steps * 2 * pairs) / enc.cpu,
      loss0, lossLast,
    };
  })();
}

// On a shared machine one profiled step is mostly other people's load: a kernel that takes
// 0.1 ms is sometimes measured at 40 ms. Each call's time is therefore the minimum over
// `profileRounds` profiled steps (the calls of one step are the same sequence every time).
const profileRounds = Number(arg('profile-rounds', '3'));

async function printProfile(run: (round: number) => void): Promise<void> {
  const backend = tf.getBackend();
  let best: { name: string; ms: number; shapes: number[][] }[] | undefined;
  let wall = Infinity;
  for (let round = 0; round < profileRounds; round++) {
    const t0 = performance.now();
    const info = await tf.profile(() => run(round));
    wall = Math.min(wall, performance.now() - t0);
    // Only registered kernels: tf.profile also lists custom-gradient and op scopes, whose time
    // includes the kernels inside them and would count those twice.
    const calls = info.kernels.filter((k) => tf.getKernel(k.name, backend) !== undefined)
      .map((k) => ({ name: k.name, ms: k.kernelTimeMs as number, shapes: k.inputShapes }));
    if (best === undefined) best = calls;
    else if (best.length !== calls.length) throw new Error(`profiled steps differ: ${best.length} and ${calls.length} kernel calls`);
    else best.forEach((b, i) => { b.ms = Math.min(b.ms, calls[i]!.ms); }); // as many calls, checked above
  }
  const kernels = best ?? [];
  const byName = new Map<string, { ms: number; calls: number }>();
  let kernelMs = 0;
  for (const k of kernels) {
    kernelMs += k.ms;
    const e = byName.get(k.name) ?? { ms: 0, calls: 0 };
    e.ms += k.ms;
    e.calls++;
    byName.set(k.name, e);
  }
  const rows = [...byName.entries()].sort((a, b) => b[1].ms - a[1].ms);
  console.log(`    profile: ${kernels.length} kernel calls, kernels ${kernelMs.toFixed(0)} ms (each call's minimum over ${profileRounds} steps); fastest profiled step ${wall.toFixed(0)} ms wall`);
  for (const [name, e] of rows.slice(0, 18)) {
    console.log(`      ${name.padEnd(22)} ${e.ms.toFixed(1).padStart(8)} ms ${((100 * e.ms) / kernelMs).toFixed(1).padStart(5)} %  ${String(e.calls).padStart(5)} calls`);
  }
  // The slowest single calls, with their input shapes: which layer a kernel's time comes from.
  console.log('    slowest calls:');
  for (const k of [...kernels].sort((a, b) => b.ms - a.ms).slice(0, 14)) {
    console.log(`      ${k.name.padEnd(22)} ${k.ms.toFixed(1).padStart(8)} ms  in ${k.shapes.map((sh) => `[${sh}]`).join(' ')}`);
  }
}

function measureTorch(): Map<number, Throughput> {
  const python = process.env.RETORT_TORCH_PYTHON ?? '/usr/bin/python3';
  const r = spawnSync(python, [join(here, 'nn', 'torch_encoder.py'), '--threads', torchThreads, '--steps', String(Math.max(steps, 4)), '--pairs', String(pairs)], { encoding: 'utf8' });
  if (r.status !== 0) {
    console.log(`PyTorch peer unavailable (${python}): ${(r.stderr || r.error?.message || '').trim().split('\n').pop()}`);
    return new Map();
  }
  const out = new Map<number, Throughput>();
  for (const line of r.stdout.trim().split('\n')) {
    const j = JSON.parse(line) as {
      threads: number; train_pairs_per_s: number; encode_seq_per_s: number; train_pairs_per_cpu_s: number; encode_seq_per_cpu_s: number;
      loss0: number; loss_last: number;
    };
    out.set(j.threads, {
      trainPairsPerS: j.train_pairs_per_s, encodeSeqPerS: j.encode_seq_per_s,
      trainPairsPerCpuS: j.train_pairs_per_cpu_s, encodeSeqPerCpuS: j.encode_seq_per_cpu_s,
      loss0: j.loss0, lossLast: j.loss_last,
    });
  }
  return out;
}

async function main(): Promise<void> {
  tf.enableProdMode();
  const backends = arg('backends', (await availableBackends()).join(',')).split(',');
  console.log(`model: ${JSON.stringify(size)}, ${pairs} pairs/step, ${steps} timed steps; tfjs ${tf.version.tfjs}`);
  const torch = flag('no-torch') ? new Map<number, Throughput>() : measureTorch();
  for (const [threads, t] of torch) {
    console.log(`pytorch ${threads} thread(s): train ${t.trainPairsPerS.toFixed(1)} pairs/s (${t.trainPairsPerCpuS.toFixed(1)} per CPU s), encode ${t.encodeSeqPerS.toFixed(0)} seq/s (${t.encodeSeqPerCpuS.toFixed(0)} per CPU s); loss ${t.loss0.toFixed(3)} → ${t.lossLast.toFixed(3)}`);
  }
  const rows: string[] = [];
  for (const backend of backends) {
    await useBackend(backend);
    for (const variant of variants) {
      console.log(`${backend} / ${variant}:`);
      const r = await measureTfjs(variant, flag('profile'));
      const ratio = (ours: number, theirs: number | undefined) => (theirs === undefined ? '–' : `${(theirs / ours).toFixed(1)}×`);
      const t1 = torch.get(1), t2 = torch.get(2);
      const line = `| ${backend} | ${variant} | ${r.trainPairsPerS.toFixed(1)} | ${ratio(r.trainPairsPerS, t1?.trainPairsPerS)} | ${ratio(r.trainPairsPerS, t2?.trainPairsPerS)} | ${ratio(r.trainPairsPerCpuS, t1?.trainPairsPerCpuS)} | ${r.encodeSeqPerS.toFixed(0)} | ${ratio(r.encodeSeqPerS, t1?.encodeSeqPerS)} | ${ratio(r.encodeSeqPerS, t2?.encodeSeqPerS)} | ${ratio(r.encodeSeqPerCpuS, t1?.encodeSeqPerCpuS)} |`;
      console.log(`  ${line}  loss ${r.loss0.toFixed(3)} → ${r.lossLast.toFixed(3)}; tensors alive ${tf.memory().numTensors}`);
      rows.push(line);
    }
  }
  console.log('\nHow many times slower than PyTorch (wall time at 1 and 2 threads; CPU time at 1 thread):');
  console.log('| backend | model | train pairs/s | vs torch 1t | vs torch 2t | vs 1t, CPU s | encode seq/s | vs torch 1t | vs torch 2t | vs 1t, CPU s |');
  console.log('|---|---|--:|--:|--:|--:|--:|--:|--:|--:|');
  for (const r of rows) console.log(r);
}

await main();
