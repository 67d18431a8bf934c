// A sweep spec → its trials: every variant × every random draw × every grid point (the grid's
// last axis varies fastest), each with a readable id made of its values.
import type { Plain } from '../recipe/load.js';
import { randomDraws } from './random.js';
import type { Setting, SweepSpec } from './spec.js';
import { shortValue } from './values.js';

export interface TrialDraft {
  /** e.g. `alpha=0.1,seed=2`, or `small,seed=2` for variant `small`; `t0` for a sweep with one trial. */
  id: string;
  /** The overrides of the trial, in the order they apply. */
  settings: Setting[];
  /** Override path → value; a variant adds `variant` → its name. */
  assignments: Record<string, Plain>;
  /** (short axis name, value) pairs the id is made of. */
  label: [string, Plain][];
}

/** Trials beyond this are a mistake (an axis of 10^5 values crossed with another), not a plan. */
export const MAX_TRIALS = 100_000;

export function trialCount(spec: SweepSpec): number {
  const grid = spec.grid.reduce((n, a) => n * a.values.length, 1);
  return Math.max(1, spec.variants.length) * (spec.random ? Math.max(1, spec.random.budget) : 1) * grid;
}

export function expandTrials(spec: SweepSpec): TrialDraft[] {
  const draws = spec.random ? randomDraws(spec.random.axes, spec.random.budget, spec.random.seed) : [[]];
  const names = shortNames([...(spec.random?.axes ?? []).map((a) => a.path), ...spec.grid.map((a) => a.path)]);
  const variants = spec.variants.length ? spec.variants : [undefined];
  const trials: TrialDraft[] = [];
  for (const variant of variants) {
    for (const draw of draws) {
      // The grid's points, first axis outermost.
      let points: Setting[][] = [[]];
      for (const axis of spec.grid) points = points.flatMap((p) => axis.values.map((v) => [...p, v]));
      for (const point of points) {
        const settings = [...(variant?.settings ?? []), ...draw, ...point];
        const assignments: Record<string, Plain> = {};
        const label: [string, Plain][] = [];
        if (variant) { assignments.variant = variant.name; label.push(['variant', variant.name]); }
        for (const s of settings) assignments[s.path] = s.value;
        for (const s of [...draw, ...point]) label.push([names.get(s.path)!, s.value]);
        trials.push({ id: '', settings, assignments, label });
      }
    }
  }
  const used = new Map<string, number>();
  trials.forEach((t, i) => {
    let id = t.label.map(([name, value]) => (name === 'variant' ? String(value) : `${name}=${shortValue(value)}`)).join(',') || `t${i}`;
    const n = used.get(id) ?? 0;
    used.set(id, n + 1);
    if (n > 0) id = `${id}~${n + 1}`;
    t.id = id;
  });
  return trials;
}

/** The shortest tail of each path that no other path ends with: `stages.retriever.params.alpha` → `alpha`. */
export function shortNames(paths: string[]): Map<string, string> {
  const split = paths.map((p) => p.split('.'));
  const out = new Map<string, string>();
  split.forEach((segs, i) => {
    for (let n = 1; n <= segs.length; n++) {
      const tail = segs.slice(-n).join('.');
      const clash = split.some((other, j) => j !== i && other.slice(-n).join('.') === tail);
      const path = segs.join('.');
      if (!clash || n === segs.length) { out.set(path, tail === 'variant' ? path : tail); break; }
    }
  });
  return out;
}
