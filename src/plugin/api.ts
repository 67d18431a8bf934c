// The plugin contract: what a plugin declares and what it receives when it runs.
// Plugins are pure with respect to their key: the same params, inputs, env and runtime
// must give the same outputs (up to nondeterminism the plugin owns, seeded by ctx.seed).

/** A JSON Schema (2020-12) object; plugins use it to declare their params. */
export type JsonSchema = { [key: string]: unknown };

export interface PortSpec {
  description?: string;
  /** The stage may run without this input. */
  optional?: boolean;
  /** The port takes a list of paths (fan-in from a foreach stage). */
  many?: boolean;
}

export interface PluginLogger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export interface PluginContext<P = Record<string, unknown>> {
  /** Params with the schema's defaults applied. */
  params: P;
  /** Absolute paths: an upstream output port directory, or an external file or folder. */
  inputs: Record<string, string | string[]>;
  /** The node's output directory; each output port is a sub-directory, see output(). */
  outDir: string;
  /** Creates (if needed) and returns the directory of an output port. */
  output(port: string): string;
  /**
   * A private directory for working files (e.g. training checkpoints), created on first access.
   * It belongs to the node's key: it survives a crash or kill of the node or of the run, so a
   * re-run of the same key finds what was left there and can resume. Only one process computes
   * a key at a time, so the directory is never shared concurrently. It is never published nor
   * hashed; it is removed once the key's entry is published, and `retort gc` removes stale ones.
   * A forced recomputation (`--force`) starts with it empty.
   */
  readonly scratch: string;
  log: PluginLogger;
  /** Records a metric; steps make curves. Metrics land in the manifest and in MLflow. */
  metric(name: string, value: number, step?: number): void;
  progress(done: number, total: number): void;
  signal: AbortSignal;
  /** A seed derived from the node key, stable across runs. */
  seed: number;
  node: { id: string; stage: string; key: string };
  /** Only the environment variables the plugin declares. */
  env: Record<string, string>;
}

export interface PluginDefinition<P = any> {
  id: string;
  /** Bumping the version changes every key of this plugin's nodes. */
  version: string;
  description?: string;
  /** JSON Schema of params. Defaults are applied before the key is computed. */
  params: JsonSchema;
  inputs?: Record<string, PortSpec>;
  outputs: Record<string, PortSpec>;
  /** Environment variables that change results; their values enter the key. */
  env?: string[];
  /** Names of the metrics the plugin records (optional): lets a sweep check its objective before anything runs. */
  metrics?: string[];
  /** Extra runtime facts that change results (e.g. the numeric backend); they enter the key. */
  runtime?: () => Record<string, string>;
  run(ctx: PluginContext<P>): Promise<void> | void;
}

/**
 * A failure the user can act on from its message alone (bad data, a command that exited non-zero, a
 * missing input): the node fails with the message and no stack trace. Any other exception is shown
 * with its stack, since it points at a bug in the plugin.
 */
export class NodeFailure extends Error {
  /** Checked by name as well as class, since a plugin package may bring its own copy of this module. */
  readonly expected = true;
  constructor(message: string) {
    super(message);
    this.name = 'NodeFailure';
  }
}

export function isExpectedFailure(err: unknown): boolean {
  return err instanceof NodeFailure || (typeof err === 'object' && err !== null && (err as { expected?: unknown }).expected === true);
}

export function definePlugin<P = Record<string, unknown>>(def: PluginDefinition<P>): PluginDefinition<P> {
  return def;
}

// The seeded generator plugins and the library draw from (the library reaches src/util only here).
export { Sfc32, mix32, splitmix32, type Sfc32State } from '../util/sfc32.js';
