// TLS options for the tracking server (MLFLOW_TRACKING_INSECURE_TLS, MLFLOW_TRACKING_SERVER_CERT_PATH).
// Node 20's global fetch is undici and accepts a `dispatcher`; undici is not importable without a
// package, but the global dispatcher it installs on first use is an undici Agent, whose constructor
// takes `connect: {ca, rejectUnauthorized}`.

import { readFile } from 'node:fs/promises';
import { MlflowError } from './mlflow-error.js';

const GLOBAL_DISPATCHER = Symbol.for('undici.globalDispatcher.1');

export function isTruthyEnv(value: string | undefined): boolean {
  return value !== undefined && /^(1|true|yes|on)$/i.test(value.trim());
}

/** Returns a dispatcher for fetch when the env asks for non-default TLS, else undefined. */
export async function tlsDispatcher(env: NodeJS.ProcessEnv): Promise<object | undefined> {
  const insecure = isTruthyEnv(env.MLFLOW_TRACKING_INSECURE_TLS);
  const caPath = env.MLFLOW_TRACKING_SERVER_CERT_PATH;
  if (!insecure && !caPath) return undefined;
  if (insecure && caPath) {
    throw new MlflowError('CONFIG_ERROR',
      'MLFLOW_TRACKING_INSECURE_TLS and MLFLOW_TRACKING_SERVER_CERT_PATH are both set; set only one of them');
  }
  let ca: Buffer | undefined;
  if (caPath) {
    try {
      ca = await readFile(caPath);
    } catch (e) {
      throw new MlflowError('CONFIG_ERROR', `cannot read MLFLOW_TRACKING_SERVER_CERT_PATH ${caPath}: ${(e as Error).message}`);
    }
  }
  const Agent = await undiciAgentClass();
  return new Agent({ connect: insecure ? { rejectUnauthorized: false } : { ca } });
}

type AgentClass = new (opts: { connect: Record<string, unknown> }) => object;

async function undiciAgentClass(): Promise<AgentClass> {
  const holder = globalThis as unknown as Record<symbol, { constructor?: unknown } | undefined>;
  // A data: URL fetch loads undici (and its global Agent) without touching the network.
  if (!holder[GLOBAL_DISPATCHER]) await fetch('data:,').catch(() => undefined);
  const ctor = holder[GLOBAL_DISPATCHER]?.constructor;
  if (typeof ctor !== 'function') {
    throw new MlflowError('CONFIG_ERROR', 'this Node.js fetch does not expose an undici Agent; custom TLS settings are unsupported');
  }
  return ctor as AgentClass;
}
