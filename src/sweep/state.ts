// The last spec each recipe's sweep ran with (runs/sweeps/), and what changed since: told before anything runs.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import type { SweepInfo } from '../graph/types.js';
import type { Plain } from '../recipe/load.js';
import { canonicalJson, sha256Hex } from '../util/canonical.js';
import { count } from '../util/plural.js';
import type { SpecSummary } from './spec.js';

export interface SavedSweep { id: string; recipe: string; savedAt: string; spec: SpecSummary; trials: SweepInfo['trials'] }

/** One file per recipe file: its name, and a hash of its path so two recipes of one name stay apart. */
export function stateFile(runsDir: string, recipeFile: string): string {
  const name = basename(recipeFile, extname(recipeFile)).replace(/[^\w.-]+/g, '_');
  return join(runsDir, 'sweeps', `${name}-${sha256Hex(recipeFile).slice(0, 8)}.json`);
}

export function readLastSweep(runsDir: string, recipeFile: string): SavedSweep | undefined {
  try {
    return JSON.parse(readFileSync(stateFile(runsDir, recipeFile), 'utf8')) as SavedSweep;
  } catch {
    return undefined; // never run, or unreadable: nothing to compare with
  }
}

export function saveSweep(runsDir: string, recipeFile: string, sweep: SweepInfo, spec: SpecSummary, now = new Date()): void {
  const file = stateFile(runsDir, recipeFile);
  mkdirSync(join(runsDir, 'sweeps'), { recursive: true });
  const saved: SavedSweep = { id: sweep.id, recipe: recipeFile, savedAt: now.toISOString(), spec, trials: sweep.trials };
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(saved, null, 2) + '\n');
  renameSync(tmp, file);
}

/** Lines saying how this sweep differs from the last one of the recipe; none when it is the same sweep or the first. */
export function changeReport(last: SavedSweep | undefined, sweep: SweepInfo, spec: SpecSummary): string[] {
  if (!last || last.id === sweep.id) return [];
  const lines = specChanges(last.spec, spec);
  const before = new Map(last.trials.map((t) => [canonicalJson(t.assignments), t.id]));
  const now = new Set(sweep.trials.map((t) => canonicalJson(t.assignments)));
  const added = sweep.trials.filter((t) => !before.has(canonicalJson(t.assignments))).map((t) => t.id);
  const gone = last.trials.filter((t) => !now.has(canonicalJson(t.assignments))).map((t) => t.id);
  const head = lines.length
    ? `the sweep spec changed since the last run of this recipe's sweep (${last.savedAt}):`
    : `the recipe changed since the last run of its sweep (${last.savedAt}); the sweep spec is the same:`;
  const out = [head, ...lines.map((l) => `  ${l}`)];
  out.push(`  trials: ${count(sweep.trials.length - added.length, 'kept trial')}, ${added.length} new, ${gone.length} gone`);
  if (added.length) out.push(`  new: ${list(added)}`);
  if (gone.length) out.push(`  gone: ${list(gone)}`);
  return out;
}

function list(ids: string[], most = 10): string {
  return ids.length <= most ? ids.join('; ') : `${ids.slice(0, most).join('; ')}; … (${ids.length - most} more)`;
}

function show(v: unknown): string {
  return JSON.stringify(v);
}

/** Axis by axis: added, removed, values added or removed; variants; random search settings. */
export function specChanges(a: SpecSummary, b: SpecSummary): string[] {
  const out: string[] = [];
  for (const path of new Set([...Object.keys(a.grid), ...Object.keys(b.grid)])) {
    const x = a.grid[path];
    const y = b.grid[path];
    if (!x) { out.push(`axis ${path} added: ${show(y)}`); continue; }
    if (!y) { out.push(`axis ${path} removed (was ${show(x)})`); continue; }
    if (canonicalJson(x) === canonicalJson(y)) continue;
    const has = (l: Plain[]) => new Set(l.map((v) => canonicalJson(v)));
    const plus = y.filter((v) => !has(x).has(canonicalJson(v)));
    const minus = x.filter((v) => !has(y).has(canonicalJson(v)));
    const parts = [plus.length ? `added ${show(plus)}` : '', minus.length ? `removed ${show(minus)}` : '', !plus.length && !minus.length ? 'reordered' : ''].filter(Boolean);
    out.push(`axis ${path}: ${show(x)} → ${show(y)} (${parts.join(', ')})`);
  }
  const va = new Map(a.variants.map((v) => [v.name, canonicalJson(v.set)]));
  const vb = new Map(b.variants.map((v) => [v.name, canonicalJson(v.set)]));
  for (const [name, set] of vb) {
    if (!va.has(name)) out.push(`variant ${name} added`);
    else if (va.get(name) !== set) out.push(`variant ${name} changed: ${va.get(name)} → ${set}`);
  }
  for (const name of va.keys()) if (!vb.has(name)) out.push(`variant ${name} removed`);
  if (canonicalJson(a.random ?? null) !== canonicalJson(b.random ?? null)) {
    if (!a.random) out.push(`random search added: ${show(b.random)}`);
    else if (!b.random) out.push('random search removed');
    else {
      for (const k of ['budget', 'seed'] as const) if (a.random[k] !== b.random[k]) out.push(`random ${k}: ${a.random[k]} → ${b.random[k]}`);
      if (canonicalJson(a.random.space) !== canonicalJson(b.random.space)) out.push(`random space: ${show(a.random.space)} → ${show(b.random.space)}`);
    }
  }
  return out;
}
