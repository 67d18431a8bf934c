// The `sweep.search` block: adaptive search towards an objective. Read into a spec whose parts keep
// where they are written, so a wrong stage, metric or path is reported at its line and column.
import { sourceLine, type Diagnostic, type SourceLocation } from '../recipe/diagnostic.js';
import { parsePath } from '../recipe/interpolate.js';
import type { Plain } from '../recipe/load.js';
import { formatKeyPath, type KeyPath, type SourceMap } from '../recipe/source-map.js';
import type { SweepSearchDoc } from '../graph/recipe-schema.js';
import { parseDimension } from './search/parse.js';
import { validateSpace, type Dimension } from './search/space.js';
import type { Direction } from './search/sampler.js';

/** One searched override path: its dimension, and where the path and the dimension are written. */
export interface SearchAxis { path: string; parsedPath: (string | number)[]; dimension: Dimension; keyLocation: SourceLocation; valueLocation: SourceLocation }

export interface SearchSpec {
  sampler: 'tpe' | 'random';
  objective: { stage: string; metric: string; direction: Direction; stageLocation: SourceLocation; metricLocation: SourceLocation };
  budget: number;
  seed: number;
  /** Trials in flight at once; undefined: as many as --jobs. */
  parallel?: number;
  axes: SearchAxis[];
  prune?: { rule: 'median'; startupTrials: number; warmupSteps: number };
  /** Where `sweep.search` is written (errors about the block as a whole). */
  location: SourceLocation;
}

/** The search as plain data: what the sweep id hashes and the search log keeps. */
export interface SearchSummary {
  sampler: string;
  objective: { metric: string; direction: Direction };
  budget: number;
  seed: number;
  space: Record<string, Plain>;
  prune?: Plain;
}

export function summarizeSearch(spec: SearchSpec): SearchSummary {
  return {
    sampler: spec.sampler,
    objective: { metric: `${spec.objective.stage}/${spec.objective.metric}`, direction: spec.objective.direction },
    budget: spec.budget,
    seed: spec.seed,
    space: Object.fromEntries(spec.axes.map((a) => [a.path, a.dimension as unknown as Plain])),
    ...(spec.prune ? { prune: spec.prune as unknown as Plain } : {}),
  };
}

/** Reads `sweep.search` (already checked against the schema). */
export function readSearch(block: SweepSearchDoc, sources: SourceMap, fallback: SourceLocation): { spec?: SearchSpec; errors: Diagnostic[] } {
  const errors: Diagnostic[] = [];
  const where = (path: KeyPath) => sources.get(path) ?? sources.nearest(path);
  const keyAt = (path: KeyPath) => where(path)?.key ?? where(path)?.value ?? fallback;
  const valueAt = (path: KeyPath) => where(path)?.value ?? fallback;
  const fail = (path: KeyPath, location: SourceLocation, message: string, hint?: string) => {
    errors.push({ message, location, keyPath: formatKeyPath(path), hint, includedFrom: where(path)?.includedFrom });
  };

  const metricPath = ['sweep', 'search', 'objective', 'metric'];
  const metricText = block.objective.metric;
  const slash = metricText.indexOf('/');
  const metricAt = valueAt(metricPath);
  // The value's column points at its first character (after a quote, when quoted): the stage starts there.
  const quoted = /^["']/.test(sourceText(metricAt) ?? '') ? 1 : 0;
  const stageLocation = { ...metricAt, col: metricAt.col + quoted, length: slash };
  const metricLocation = { ...metricAt, col: metricAt.col + quoted + slash + 1, length: metricText.length - slash - 1 };

  const axes: SearchAxis[] = [];
  for (const [pathText, written] of Object.entries(block.space)) {
    const at = ['sweep', 'search', 'space', pathText];
    let parsedPath: (string | number)[];
    try {
      parsedPath = parsePath(pathText.trim());
    } catch {
      fail(at, { ...keyAt(at), length: pathText.length }, `cannot parse the search path '${pathText}'`, 'expected a dotted override path such as stages.train.params.lr');
      continue;
    }
    const parsed = parseDimension(written);
    if ('problem' in parsed) { fail(at, valueAt(at), parsed.problem); continue; }
    const problems = validateSpace({ [pathText]: parsed.dimension });
    const [problem] = problems;
    if (problem) { fail(at, valueAt(at), problem.message); continue; }
    axes.push({
      path: formatKeyPath(parsedPath),
      parsedPath,
      dimension: parsed.dimension,
      keyLocation: { ...keyAt(at), length: pathText.length },
      valueLocation: valueAt(at),
    });
  }

  if (errors.length) return { errors };
  return {
    errors,
    spec: {
      sampler: block.sampler ?? 'tpe',
      objective: {
        stage: metricText.slice(0, slash),
        metric: metricText.slice(slash + 1),
        direction: block.objective.direction,
        stageLocation,
        metricLocation,
      },
      budget: block.budget,
      seed: block.seed ?? 0,
      parallel: block.parallel,
      axes,
      prune: block.prune && { rule: block.prune.rule, startupTrials: block.prune.startupTrials ?? 5, warmupSteps: block.prune.warmupSteps ?? 0 },
      location: keyAt(['sweep', 'search']),
    },
  };
}

/** The characters from a location to the end of its line (to see whether a value is quoted). */
function sourceText(loc: SourceLocation): string | undefined {
  return sourceLine(loc)?.slice(loc.col - 1);
}
