// The runs of a local MLflow file store (runs/mlruns) as comparable values: each run's place in the
// nesting (its run name and its parents'), status, params, tags, metrics as (step, value) series
// and artifact files, with run ids, times and the runs folder's path replaced by placeholders.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

export interface StoredRun {
  path: string;
  status: string;
  params: Record<string, string>;
  tags: Record<string, string>;
  metrics: Record<string, [number, number][]>;
  artifacts: Record<string, string>;
}

const STATUS: Record<string, string> = { 1: 'RUNNING', 2: 'SCHEDULED', 3: 'FINISHED', 4: 'FAILED', 5: 'KILLED' };

/** Files under `dir` (keys with '/' are folders in the file store), by their path relative to it. */
function files(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  if (!existsSync(dir)) return out;
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p); else out[relative(dir, p)] = readFileSync(p, 'utf8');
    }
  };
  walk(dir);
  return out;
}

/** Every run of every experiment of the store, normalised and sorted; `paths` are replaced by `<runs>`. */
export function storedRuns(mlruns: string, paths: string[]): StoredRun[] {
  if (!existsSync(mlruns)) return [];
  type Files = Record<string, string>;
  const raw = new Map<string, { exp: string; meta: string; tags: Files; params: Files; metrics: Files; artifacts: Files }>();
  for (const expId of readdirSync(mlruns).filter((d) => /^\d+$/.test(d))) {
    const exp = /^name: (.*)$/m.exec(readFileSync(join(mlruns, expId, 'meta.yaml'), 'utf8'))?.[1] ?? expId;
    for (const id of readdirSync(join(mlruns, expId)).filter((d) => /^[0-9a-f]{32}$/.test(d))) {
      const dir = join(mlruns, expId, id);
      raw.set(id, { exp, meta: readFileSync(join(dir, 'meta.yaml'), 'utf8'), tags: files(join(dir, 'tags')), params: files(join(dir, 'params')),
        metrics: files(join(dir, 'metrics')), artifacts: files(join(dir, 'artifacts')) });
    }
  }
  const clean = (text: string) => {
    let out = text;
    for (const p of paths) out = out.split(p).join('<runs>');
    return out
      .replace(/\b[0-9a-f]{32}\b/g, '<id>')
      .replace(/\b\d{8}-\d{6}-[0-9a-f]{6}\b/g, '<run>')
      .replace(/-\d{8}-\d{6}\b/g, '-<time>');
  };
  const nameOf = (id: string): string => {
    const r = raw.get(id)!;
    const parent = r.tags['mlflow.parentRunId'];
    return `${parent ? `${nameOf(parent)} > ` : `${r.exp}: `}${clean(r.tags['mlflow.runName'] ?? '?')}`;
  };
  const runs = [...raw].map(([id, r]): StoredRun => {
    const tags = Object.fromEntries(Object.entries(r.tags).filter(([k]) => k !== 'mlflow.parentRunId').map(([k, v]) => [k, clean(v)]));
    const metrics = Object.fromEntries(Object.entries(r.metrics).map(([k, text]) => [k, text.split('\n').filter(Boolean)
      .map((line) => { const [, value, step] = line.split(' '); return [Number(step), Number(value)] as [number, number]; })
      .sort((x, y) => x[0] - y[0] || x[1] - y[1])]));
    return {
      path: nameOf(id), status: STATUS[/^status: (\d+)$/m.exec(r.meta)?.[1] ?? ''] ?? 'unknown',
      params: Object.fromEntries(Object.entries(r.params).map(([k, v]) => [k, clean(v)])), tags, metrics,
      artifacts: Object.fromEntries(Object.entries(r.artifacts).map(([k, v]) => [k, clean(v)])),
    };
  });
  return runs.sort((x, y) => (JSON.stringify(x) < JSON.stringify(y) ? -1 : 1));
}

/** Each run's start and end time (ms) by its run name. */
export function runTimes(mlruns: string): Map<string, { start: number; end: number | undefined }> {
  const out = new Map<string, { start: number; end: number | undefined }>();
  for (const exp of readdirSync(mlruns).filter((d) => /^\d+$/.test(d))) {
    for (const id of readdirSync(join(mlruns, exp)).filter((d) => /^[0-9a-f]{32}$/.test(d))) {
      const meta = readFileSync(join(mlruns, exp, id, 'meta.yaml'), 'utf8');
      const name = readFileSync(join(mlruns, exp, id, 'tags', 'mlflow.runName'), 'utf8');
      const end = /^end_time: (\d+)$/m.exec(meta)?.[1];
      out.set(name, { start: Number(/^start_time: (\d+)$/m.exec(meta)?.[1]), end: end === undefined ? undefined : Number(end) });
    }
  }
  return out;
}
