// Learning curve of the negative-distillation student's base model: how much arithmetic the tiny
// decoder learns against pretraining steps, model size and learning-rate schedule, measured as
// nat-student measures it (greedy rationales on the suite's TRAIN split, never a test split;
// the share of equations `a op b = c` whose `c` is right, of lines that chain, of final answers).
// The peer is the first row, the recipe's old setting when run with the defaults (64 wide, 2
// layers, constant lr 3e-3, 300 steps), measured in the same process; every row prints its
// equations-right share as a multiple of the first row's.
//
//   npx vite-node bench/arith-student-curve.ts [--steps 300,1000,2000] [--sizes 64x2,128x2]
//     [--schedule constant|cosine] [--lr 0.003] [--warmup 0] [--batch 16] [--eval 100] [--seed 1] [--peer]
//
// --peer adds the old setting as the first row before the others (for a cosine or another size).
// The suite is the recipe's (seed 1, 200 train questions, 2–3 steps, tiny numbers); the corpus
// is nat-pretrain's (600 problems, whole-number tokens). CPU seconds are the process's user +
// system time over pretraining and over decoding, so they stay meaningful on a loaded machine.

import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '../src/lib/nn/backend.js';
import { pretrainCorpus, untrainedBase } from '../src/lib/reasoning/pretrain.js';
import { stepMetrics } from '../src/lib/reasoning/step-check.js';
import { predictions, trainLm, type LrShape } from '../src/lib/reasoning/student.js';
import { generateSuite, SPLITS } from '../src/lib/reasoning/suite.js';

interface Options {
  steps: number[];
  sizes: { hidden: number; layers: number }[];
  schedule: LrShape['schedule'];
  lr: number;
  warmup: number;
  eval: number;
  seed: number;
  peer: boolean;
  corpus: number;
  batch: number;
}

/** `--sizes` entries: HIDDENxLAYERS, e.g. 64x2. */
function parseSize(size: string): { hidden: number; layers: number } {
  const [hidden, layers] = size.split('x').map(Number);
  if (hidden === undefined || layers === undefined) throw new Error(`--sizes: ${size} is not HIDDENxLAYERS (e.g. 64x2)`);
  return { hidden, layers };
}

function parseArgs(argv: string[]): Options {
  const o: Options = { steps: [300, 1000, 2000], sizes: [{ hidden: 64, layers: 2 }], schedule: 'constant', lr: 0.003, warmup: 0, eval: 100, seed: 1, peer: false, corpus: 600, batch: 16 };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = argv[i + 1];
    if (flag === '--peer') { o.peer = true; continue; }
    if (value === undefined) throw new Error(`missing value after ${flag}`);
    i++;
    if (flag === '--steps') o.steps = value.split(',').map(Number);
    else if (flag === '--sizes') o.sizes = value.split(',').map(parseSize);
    else if (flag === '--schedule') o.schedule = value as LrShape['schedule'];
    else if (flag === '--lr') o.lr = Number(value);
    else if (flag === '--warmup') o.warmup = Number(value);
    else if (flag === '--eval') o.eval = Number(value);
    else if (flag === '--seed') o.seed = Number(value);
    else if (flag === '--corpus') o.corpus = Number(value);
    else if (flag === '--batch') o.batch = Number(value);
    else throw new Error(`unknown flag ${flag}`);
  }
  return o;
}

interface Setting { hidden: number; layers: number; batch: number; schedule: LrShape['schedule']; lr: number; warmup: number }
interface Row extends Setting { steps: number; arithmetic: number; chained: number; answers: number; loss: number; trainCpu: number; evalCpu: number }

const cpuSeconds = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1e6; };

/**
 * One setting at every step count of `points`. At a constant rate that is one run, evaluated as it
 * passes each count (it stops, checkpoints, is evaluated and resumes where it stopped: the same
 * weights as an uninterrupted run); a cosine schedule depends on the run's length, so each count
 * is a run of its own. Train CPU is cumulative along a constant-rate curve.
 */
async function* measure(s: Setting, points: number[], o: Options): AsyncGenerator<Row> {
  const suite = generateSuite({ seed: 1, trainSize: 200, testSize: 40, minSteps: 2, maxSteps: 3, numbers: 'tiny' });
  const exclude = new Set(SPLITS.flatMap((name) => suite[name].map((q) => q.question)));
  const { problems } = pretrainCorpus({ seed: o.seed, corpusSize: o.corpus, drillRows: 0, minSteps: 2, maxSteps: 3, numbers: 'tiny', exclude });
  const shape: LrShape = { schedule: s.schedule, warmup: s.warmup, minRatio: 0.1 };
  const model = { seed: o.seed, vocabSize: 1000, splitDigits: false, hiddenSize: s.hidden, numLayers: s.layers, numHeads: 4,
    maxLength: 256, contextLength: 512 };
  const fresh = () => untrainedBase(problems, model);
  const oneRun = s.schedule === 'constant';
  const dir = mkdtempSync(join(tmpdir(), 'arith-curve-'));
  let base = oneRun ? fresh() : undefined;
  let trainCpu = 0;
  try {
    for (const steps of points) {
      if (!oneRun) { base?.model.dispose(); base = fresh(); trainCpu = 0; }
      const t0 = cpuSeconds();
      const loss = await trainLm(base!.model, base!.tok, problems, {
        steps, batch: s.batch, lr: s.lr, maxLength: 256, seed: o.seed, shape,
        checkpoint: oneRun ? { dir, every: steps, keep: 1 } : undefined,
      });
      const t1 = cpuSeconds();
      trainCpu += t1 - t0;
      const preds = predictions(base!.model, base!.tok, suite.train.slice(0, o.eval), { maxNew: 128, maxLength: 256, batch: 20 });
      const m = stepMetrics('train', preds.map((p) => p.text));
      yield {
        ...s,
        steps,
        arithmetic: m['steps/train/arithmetic'] ?? NaN,
        chained: m['steps/train/chained'] ?? NaN,
        answers: (100 * preds.filter((p) => p.correct).length) / preds.length,
        loss,
        trainCpu,
        evalCpu: cpuSeconds() - t1,
      };
    }
  } finally {
    base?.model.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  const backend = await initBackend();
  console.log(`${backend.summary}; load average ${loadavg().map((x) => x.toFixed(1)).join(' ')}`);
  const runs: { setting: Setting; points: number[] }[] = [];
  if (o.peer) runs.push({ setting: { hidden: 64, layers: 2, batch: 16, schedule: 'constant', lr: 0.003, warmup: 0 }, points: [300] });
  for (const size of o.sizes) {
    const setting: Setting = { hidden: size.hidden, layers: size.layers, batch: o.batch, schedule: o.schedule, lr: o.lr, warmup: o.warmup };
    runs.push({ setting, points: o.steps });
  }
  console.log('| steps | batch | size | schedule | lr | final loss | equations right | × first row | lines chained | answers right | train CPU s | eval CPU s |');
  console.log('|--:|--:|---|---|--:|--:|--:|--:|--:|--:|--:|--:|');
  let first: number | undefined;
  for (const run of runs) {
    for await (const r of measure(run.setting, run.points, o)) {
      first ??= r.arithmetic;
      const shape = r.schedule === 'constant' ? (r.warmup > 0 ? `warmup ${r.warmup}, constant` : 'constant') : `warmup ${r.warmup}, cosine`;
      console.log(`| ${r.steps} | ${r.batch} | ${r.hidden}×${r.layers} | ${shape} | ${r.lr} | ${r.loss.toFixed(3)} | ${r.arithmetic.toFixed(1)} % | ${(r.arithmetic / first).toFixed(2)} | ${r.chained.toFixed(1)} % | ${r.answers.toFixed(1)} % | ${r.trainCpu.toFixed(0)} | ${r.evalCpu.toFixed(0)} |`);
    }
  }
  console.log(`load average at the end ${loadavg().map((x) => x.toFixed(1)).join(' ')}`);
}

await main();
