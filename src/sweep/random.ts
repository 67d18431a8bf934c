// Random search: `budget` draws from the space, reproducible from the seed alone.
import type { Plain } from '../recipe/load.js';
import { canonicalJson } from '../util/canonical.js';
import type { Distribution, RandomAxis, Setting } from './spec.js';

/** A small 32-bit generator (splitmix-style mixing of a Weyl sequence): fast, seedable, portable. */
export function seededRandom(seed: number): () => number {
  let state = (seed >>> 0) ^ 0x9e3779b9;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 15), z | 1);
    z ^= z + Math.imul(z ^ (z >>> 7), z | 61);
    return ((z ^ (z >>> 14)) >>> 0) / 4294967296;
  };
}

/** Drawn numbers keep 6 significant digits: readable trial ids, and nothing a sweep could resolve below that. */
function round(x: number): number {
  return Number(x.toPrecision(6));
}

export function sample(dist: Distribution, next: () => number): Plain {
  switch (dist.kind) {
    case 'uniform': return round(dist.low + (dist.high - dist.low) * next());
    case 'loguniform': return round(Math.exp(Math.log(dist.low) + (Math.log(dist.high) - Math.log(dist.low)) * next()));
    case 'int': return dist.low + Math.floor(next() * (dist.high - dist.low + 1));
    case 'choice': return dist.values[Math.floor(next() * dist.values.length)]!; // next() < 1, and a choice has values
  }
}

/** Up to `budget` distinct draws (a small discrete space may hold fewer), each a setting per axis. */
export function randomDraws(axes: RandomAxis[], budget: number, seed: number): Setting[][] {
  const next = seededRandom(seed);
  const draws: Setting[][] = [];
  const seen = new Set<string>();
  // Repeats are redrawn; a space with fewer points than the budget stops after enough misses.
  for (let attempts = 0; draws.length < budget && attempts < budget * 20 + 100; attempts++) {
    const values = axes.map((a) => sample(a.dist, next));
    const id = canonicalJson(values);
    if (seen.has(id)) continue;
    seen.add(id);
    draws.push(axes.map((a, i) => {
      const value = values[i]!; // one value per axis
      const raw = typeof value === 'string' ? value : JSON.stringify(value);
      return { path: a.path, value, override: { text: `${a.path}=${raw}`, path: a.parsedPath, raw, location: a.keyLocation, valueLocation: a.valueLocation, parsed: { value } } };
    }));
  }
  return draws;
}
