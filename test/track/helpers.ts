// Shared fixtures for the tracking tests: a fast retry policy, a REST client on a contract server,
// and Retort run/node descriptions.

import { HttpTransport } from '../../src/track/http-transport.js';
import { MlflowRestClient } from '../../src/track/mlflow-rest.js';
import type { NodeInfo, RunInfo, TrackConfig } from '../../src/track/observer.js';
import type { RetryPolicy } from '../../src/track/retry.js';
import { nodeId, type Key } from '../../src/util/ids.js';

export const FAST_RETRY: RetryPolicy = { maxAttempts: 3, baseDelayMs: 5, maxDelayMs: 50, jitterMs: 2, timeoutMs: 5000 };

export function restClient(uri: string, env: NodeJS.ProcessEnv = {}, retry: Partial<RetryPolicy> = {}): MlflowRestClient {
  return new MlflowRestClient(new HttpTransport({ trackingUri: uri, env, retry: { ...FAST_RETRY, ...retry } }));
}

export function runInfo(overrides: Partial<RunInfo> = {}, track: Partial<TrackConfig> = {}): RunInfo {
  return {
    runId: 'r-20250101-000000',
    recipe: 'recipes/demo.yaml',
    recipeName: 'demo',
    startedAt: Date.UTC(2025, 0, 2, 3, 4, 5),
    argv: ['run', 'recipes/demo.yaml'],
    cwd: '/nonexistent-dir-without-git',
    track: { enabled: true, experiment: 'retort-demo', ...track },
    ...overrides,
  };
}

export function nodeInfo(id: string, params: Record<string, unknown> = {}, overrides: Partial<NodeInfo> = {}): NodeInfo {
  const stage = id.replace(/[[#].*$/, '');
  return {
    id: nodeId(id),
    stage,
    key: `key-${id}` as Key,
    plugin: { id: `${stage}-plugin`, version: '1.0.0' },
    params,
    keyStructure: {},
    ...overrides,
  };
}

export function collectWarnings(): { warn: (m: string) => void; messages: string[] } {
  const messages: string[] = [];
  return { warn: (m) => messages.push(m), messages };
}

/** `retort/cached.tsv` as node id → [key, producing run] (after checking its header). */
export function parseCachedList(text: string | undefined): Map<string, [string, string]> {
  const [header, ...lines] = (text ?? '').split('\n');
  if (header !== 'node\tkey\tproduced_by' || lines.pop() !== '') throw new Error(`not a cached-node list: ${JSON.stringify(text)}`);
  return new Map(lines.map((line) => {
    const [node = '', key = '', producedBy = ''] = line.split('\t');
    return [node, [key, producedBy]];
  }));
}

/** The cached-node list a run uploaded to the contract server. */
export function serverCachedList(server: { artifacts: Map<string, Buffer> }, run: { experimentId: string; runId: string }): Map<string, [string, string]> {
  return parseCachedList(server.artifacts.get(`${run.experimentId}/${run.runId}/artifacts/retort/cached.tsv`)?.toString());
}
