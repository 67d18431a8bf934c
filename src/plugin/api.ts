// The plugin contract: what a plugin declares and what it receives when it runs.
// Plugins are pure with respect to their key: the same params, inputs, env and runtime
// must give the same outputs (up to nondeterminism the plugin owns, seeded by ctx.seed).

import type { FromSchema, JSONSchema } from 'json-schema-to-ts';

/** A JSON Schema (2020-12) object; plugins use it to declare their params. */
export type JsonSchema = { [key: string]: unknown };

/**
 * The params `run` receives for a params schema written as a literal (inline in definePlugin, or
 * `as const`). The engine applies defaults before a run, so a property with a `default` is present
 * (required in the type) even when the schema does not list it as required. The schema is checked
 * against JSONSchema here rather than as a constraint on definePlugin, where it makes inference of
 * the literal schema exceed the checker's depth limit.
 */
export type ParamsOf<S> = S extends JSONSchema ? FromSchema<S> : never;

export interface PortSpec {
  description?: string;
  /** The stage may run without this input. */
  optional?: boolean;
  /** The port takes a list of paths (fan-in from a foreach stage). */
  many?: boolean;
}

/** Ports by name, as a plugin declares its inputs or outputs. */
export type Ports = Record<string, PortSpec>;

/** What one input port holds at run time: an absolute path, or a list of them for a `many` port. */
export type PortValue<S extends PortSpec> = S extends { readonly many: true } ? string[] : string;

type OptionalPortNames<I extends Ports> = { [K in keyof I]: I[K] extends { readonly optional: true } ? K : never }[keyof I];

/** `ctx.inputs` for declared input ports: an optional port may be absent, the others are always given. */
export type InputsOf<I extends Ports> = {
  -readonly [K in Exclude<keyof I, OptionalPortNames<I>>]: PortValue<I[K]>;
} & {
  -readonly [K in OptionalPortNames<I>]?: PortValue<I[K]>;
};

export interface PluginLogger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export interface PluginContext<P = Record<string, unknown>, I = Record<string, string | string[]>, O extends string = string> {
  /** Params with the schema's defaults applied. */
  params: P;
  /** Absolute paths: an upstream output port directory, or an external file or folder. */
  inputs: I;
  /** The node's output directory; each output port is a sub-directory, see output(). */
  outDir: string;
  /** Creates (if needed) and returns the directory of an output port. */
  output(port: O): string;
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

// `any` by default: the engine holds plugins of every params type side by side (params are checked by the schema at run time).
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export interface PluginDefinition<P = any, I = Record<string, string | string[]>, O extends string = string> {
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
  /**
   * Run each node of this plugin in a process no other node uses afterwards. By default a node
   * runner that a node left clean takes the next node, with the plugin's module already loaded;
   * set this when the plugin keeps process-wide state that must not outlive one node.
   */
  isolated?: boolean;
  run(ctx: PluginContext<P, I, O>): Promise<void> | void;
}

/**
 * What a plugin author writes: the params schema and the ports are declared once, and `run`'s
 * `ctx.params`, `ctx.inputs` and `ctx.output()` are typed from them. (`run`'s context is spelt out
 * here: behind a type alias the checker exceeds its depth limit while inferring the schema.)
 */
export interface PluginSpec<S extends object, I extends Ports, O extends Ports>
  extends Omit<PluginDefinition, 'params' | 'inputs' | 'outputs' | 'run'> {
  /** JSON Schema of params. Defaults are applied before the key is computed. */
  params: S;
  inputs?: I;
  outputs: O;
  run(ctx: PluginContext<ParamsOf<S>, InputsOf<I>, keyof O & string>): Promise<void> | void;
}

/** The params type of a plugin made by definePlugin: `PluginParams<typeof plugin>`. */
// `any` for the ports: `unknown` would not match, since the context's inputs sit in a parameter position.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type PluginParams<D> = D extends PluginDefinition<infer P, any, any> ? P : never;

/** The context a plugin made by definePlugin receives; for helpers that take the plugin's `ctx`. */
export type PluginContextOf<D> = D extends PluginDefinition<infer P, infer I, infer O> ? PluginContext<P, I, O> : never;

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

/** Declares a plugin; its params, inputs and output ports are typed from the schema and ports it declares. */
// `{}`: no ports declared (the literal type of an empty port list).
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export function definePlugin<const S extends object, const I extends Ports = {}, const O extends Ports = {}>(
  def: PluginSpec<S, I, O>,
): PluginDefinition<ParamsOf<S>, InputsOf<I>, keyof O & string>;
/** The older form, params typed by hand: `definePlugin<MyParams>({ … })`. */
export function definePlugin<P = Record<string, unknown>>(def: PluginDefinition<P>): PluginDefinition<P>;
export function definePlugin<P = Record<string, unknown>>(def: PluginDefinition<P>): PluginDefinition<P> {
  return def;
}

// The seeded generator plugins and the library draw from (the library reaches src/util only here).
export { Sfc32, mix32, splitmix32, type Sfc32State } from '../util/sfc32.js';
