// Benchmark: the best objective TPE reaches against random search at equal budgets, on synthetic
// objectives with known minima (no peer library is installed here: Optuna is not, so random search,
// measured in the same script over the same seeds, is the reference).
//
//   npx vite-node bench/tpe-vs-random.ts [--seeds 20] [--budgets 20,40,80] [--jobs 1,4]
//
// Prints, per objective, budget and number of trials in flight, the mean over seeds of the best
// objective found and its regret (best − known minimum), and the ratio of TPE's mean regret to random's.
import { OBJECTIVES, meanBest } from '../test/sweep-search/synthetic.js';

function option(args: string[], name: string, fallback: string): string {
  const i = args.indexOf(`--${name}`);
  return (i >= 0 && args[i + 1]) || fallback;
}

function main(args: string[]): void {
  const seeds = Array.from({ length: Number(option(args, 'seeds', '20')) }, (_, i) => i + 1);
  const budgets = option(args, 'budgets', '20,40,80').split(',').map(Number);
  const jobsList = option(args, 'jobs', '1,4').split(',').map(Number);
  const fmt = (v: number) => v.toFixed(4);
  process.stdout.write(`TPE against random search, mean over seeds 1..${seeds.length}\n\n`);
  process.stdout.write('| objective | budget | in flight | random best | TPE best | random regret | TPE regret | TPE/random regret |\n|---|---|---|---|---|---|---|---|\n');
  for (const objective of OBJECTIVES) {
    for (const budget of budgets) {
      for (const jobs of jobsList) {
        const started = performance.now();
        const random = meanBest('random', objective, seeds, budget, jobs);
        const tpe = meanBest('tpe', objective, seeds, budget, jobs);
        const rRegret = random - objective.minimum;
        const tRegret = tpe - objective.minimum;
        process.stdout.write(`| ${objective.name} | ${budget} | ${jobs} | ${fmt(random)} | ${fmt(tpe)} | ${fmt(rRegret)} | ${fmt(tRegret)} | ${(tRegret / rRegret).toFixed(3)} |\n`);
        process.stderr.write(`  (${objective.name}, ${budget}, ${jobs}: ${((performance.now() - started) / 1000).toFixed(1)} s)\n`);
      }
    }
  }
}

main(process.argv.slice(2));
