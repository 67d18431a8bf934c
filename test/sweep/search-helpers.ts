// What the adaptive-search tests share: a project with the objective plugin, a recipe that searches
// its lr and momentum, the search log, and the side channel of executions.
import { cpSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SearchLog } from '../../src/sweep/adaptive/search-log.js';
import { searchLogFile } from '../../src/sweep/adaptive/search-log.js';
import { Project } from '../e2e/harness.js';

export const FIXTURE = join(import.meta.dirname, 'fixtures', 'objective');

export function searchProject(): Project {
  const p = new Project('retort-search-');
  cpSync(FIXTURE, join(p.dir, 'plugins', 'objective'), { recursive: true });
  return p;
}

/** `shared: false` leaves out the data stage every trial shares (one node per trial). */
export function searchRecipe(o: { sampler?: string; budget: number; seed?: number; parallel?: number;
  trainParams?: string; extra?: string; shared?: boolean }): string {
  const data = o.shared === false ? '' : '  data: { plugin: ./plugins/count }\n';
  const input = o.shared === false ? '' : '    inputs: { in: "${stages.data.outputs.out}" }\n';
  return `stages:
${data}  train:
    plugin: ./plugins/objective
${input}    params: { ${o.trainParams ?? 'lr: 0.1'} }
sweep:
  search:
    sampler: ${o.sampler ?? 'tpe'}
    objective: { metric: train/loss, direction: minimize }
    budget: ${o.budget}
    seed: ${o.seed ?? 1}
${o.parallel ? `    parallel: ${o.parallel}\n` : ''}    space:
      stages.train.params.lr: loguniform(1e-5, 1)
      stages.train.params.momentum: uniform(0, 1)
${o.extra ?? ''}`;
}

export function readLog(p: Project, recipe = 's.yaml'): SearchLog {
  return JSON.parse(readFileSync(searchLogFile(join(p.dir, 'runs'), join(p.dir, recipe)), 'utf8')) as SearchLog;
}

/** The executions of a stage's node, each with the params it ran with. */
export function executed(p: Project, stage: string): Record<string, number>[] {
  return readFileSync(p.counter, 'utf8').split('\n').filter((l) => l.startsWith(`${stage} `)).map((l) => JSON.parse(l.split(' ').slice(3).join(' ')) as Record<string, number>);
}

