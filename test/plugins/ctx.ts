// A hand-built PluginContext for calling a plugin's run(ctx) directly in tests.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { PluginContext, PluginDefinition } from '../../src/plugin/api.js';

export interface RunResult {
  outDir: string;
  metrics: Record<string, number>;
  logs: string[];
  progress: [number, number][];
}

/**
 * Params as a recipe writes them: any of them may be left out, nested ones too (the engine fills
 * nested defaults; this helper fills only the top-level ones).
 */
export type ParamsGiven<P> = { [K in keyof P]?: P[K] extends readonly unknown[] ? P[K] : P[K] extends object ? ParamsGiven<P[K]> : P[K] };

/** Applies the schema's top-level defaults, as the engine does before a run. */
export function withDefaults<P>(def: PluginDefinition<P>, params: ParamsGiven<P>): P {
  const props = (def.params.properties ?? {}) as Record<string, { default?: unknown }>;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(props)) if (v.default !== undefined) out[k] = v.default;
  return { ...out, ...params } as P;
}

export async function runPlugin<P>(def: PluginDefinition<P>, outDir: string,
  params: ParamsGiven<P>, inputs: Record<string, string | string[]>): Promise<RunResult> {
  const metrics: Record<string, number> = {};
  const logs: string[] = [];
  const progress: [number, number][] = [];
  const ctx: PluginContext<P> = {
    params: withDefaults(def, params),
    inputs,
    outDir,
    get scratch() {
      const d = `${outDir}.scratch`; // beside the outputs, as the store keeps it apart from the entry
      mkdirSync(d, { recursive: true });
      return d;
    },
    output: (port) => {
      const d = join(outDir, port);
      mkdirSync(d, { recursive: true });
      return d;
    },
    log: { info: (m) => logs.push(m), warn: (m) => logs.push(`warn: ${m}`), error: (m) => logs.push(`error: ${m}`) },
    metric: (n, v) => void (metrics[n] = v),
    progress: (d, t) => void progress.push([d, t]),
    signal: new AbortController().signal,
    seed: 1,
    node: { id: def.id, stage: def.id, key: 'test' },
    env: {},
  };
  await def.run(ctx);
  return { outDir, metrics, logs, progress };
}
