// A tree of named modules holding tf.Variables, like torch.nn.Module.
//
// Parameter names are dotted paths through the tree and, for the built-in models, are exactly the
// Hugging Face state-dict names, so stateDict() is a valid HF checkpoint and HF weights load as-is.

import * as tf from '@tensorflow/tfjs';
import { NodeFailure } from '../../plugin/api.js';

/** A checkpoint that does not fit the model; names the tensor (and the file when known). */
export class StateDictError extends NodeFailure {
  readonly tensor: string | undefined;
  constructor(message: string, tensor?: string) {
    super(message);
    this.name = 'StateDictError';
    this.tensor = tensor;
  }
}

export interface LoadOptions {
  /** Unexpected or missing tensors are errors (default true). */
  strict?: boolean;
  /** Prefixed to messages, e.g. the checkpoint's path. */
  source?: string;
}

export interface LoadReport {
  missing: string[];
  unexpected: string[];
}

interface Slot {
  variable: tf.Variable;
  trainable: boolean;
}

let variableCounter = 0;

export class Module {
  private readonly slots = new Map<string, Slot>();
  private readonly kids = new Map<string, Module>();
  /** Adapters and other add-ons that a Hugging Face checkpoint of the base model does not hold. */
  protected inStateDict = true;

  /**
   * Registers a child; `name` may contain dots (`encoder.layer.0`) to follow HF paths, and '' puts
   * the child's parameters directly under this module's path (a reusable block with HF names).
   */
  protected child<M extends Module>(name: string, module: M): M {
    if (this.kids.has(name)) throw new Error(`child "${name}" registered twice`);
    this.kids.set(name, module);
    return module;
  }

  /** Registers a parameter initialised from `init` (the tensor is taken over). */
  protected param(name: string, init: tf.Tensor, trainable = true): tf.Variable {
    if (this.slots.has(name)) throw new Error(`parameter "${name}" registered twice`);
    const variable = tf.variable(init, trainable, `p${variableCounter++}_${name}`);
    init.dispose();
    this.slots.set(name, { variable, trainable });
    return variable;
  }

  /** Swaps a parameter's variable for one holding `value` (resizing a vocabulary); keeps its trainable flag. */
  protected replaceParam(name: string, value: tf.Tensor): tf.Variable {
    const slot = this.slots.get(name);
    if (!slot) throw new Error(`no parameter "${name}"`);
    const variable = tf.variable(value, slot.trainable, `p${variableCounter++}_${name}`);
    value.dispose();
    slot.variable.dispose();
    slot.variable = variable;
    return variable;
  }

  children(): Map<string, Module> {
    return new Map(this.kids);
  }

  /** Every module of the tree with its dotted path ('' for this one). */
  *namedModules(prefix = ''): Generator<[string, Module]> {
    yield [prefix, this];
    for (const [name, kid] of this.kids) yield* kid.namedModules(join(prefix, name));
  }

  private *slotsWithNames(prefix = '', stateOnly = false): Generator<[string, Slot]> {
    if (stateOnly && !this.inStateDict) return;
    for (const [name, slot] of this.slots) yield [join(prefix, name), slot];
    for (const [name, kid] of this.kids) yield* kid.slotsWithNames(join(prefix, name), stateOnly);
  }

  /** Trainable variables under stable dotted names: what an optimiser updates. */
  parameters(): Map<string, tf.Variable> {
    const out = new Map<string, tf.Variable>();
    for (const [name, slot] of this.slotsWithNames()) if (slot.trainable) out.set(name, slot.variable);
    return out;
  }

  /** Every variable, frozen or not, adapters included. */
  variables(): Map<string, tf.Variable> {
    const out = new Map<string, tf.Variable>();
    for (const [name, slot] of this.slotsWithNames()) out.set(name, slot.variable);
    return out;
  }

  /** The model's weights under Hugging Face names and layouts (adapters excluded). No copies. */
  stateDict(): Map<string, tf.Tensor> {
    const out = new Map<string, tf.Tensor>();
    for (const [name, slot] of this.slotsWithNames('', true)) if (!this.aliases().has(name)) out.set(name, slot.variable);
    return out;
  }

  /**
   * Names that are views of another tensor (a tied LM head): absent from stateDict(), optional on
   * load, as in Hugging Face checkpoints.
   */
  aliases(): Set<string> {
    return new Set();
  }

  /** Copies tensors into the variables; shapes must match exactly. Returns what was left out. */
  loadStateDict(tensors: Map<string, tf.Tensor>, options: LoadOptions = {}): LoadReport {
    const strict = options.strict ?? true;
    const where = options.source ? `${options.source}: ` : '';
    const own = new Map(this.slotsWithNames('', true));
    const aliases = this.aliases();
    const unexpected = [...tensors.keys()].filter((k) => !own.has(k) && !aliases.has(k));
    const missing = [...own.keys()].filter((k) => !tensors.has(k));
    if (strict && unexpected.length > 0) {
      throw new StateDictError(`${where}unexpected tensor "${unexpected[0]}"${more(unexpected)} (not a parameter of this model)`, unexpected[0]);
    }
    if (strict && missing.length > 0) {
      throw new StateDictError(`${where}missing tensor "${missing[0]}"${more(missing)}`, missing[0]);
    }
    for (const [name, slot] of own) {
      const t = tensors.get(name);
      if (!t) continue;
      if (!sameShape(t.shape, slot.variable.shape)) {
        throw new StateDictError(`${where}tensor "${name}" has shape [${t.shape}] but the model expects [${slot.variable.shape}]`, name);
      }
    }
    for (const [name, slot] of own) {
      const t = tensors.get(name);
      // A variable's own value (reloading stateDict()) is already in place; assigning it to itself breaks tfjs.
      if (t && t.dataId !== slot.variable.dataId) slot.variable.assign(t.dtype === slot.variable.dtype ? t : tf.tidy(() => t.cast(slot.variable.dtype)));
    }
    return { missing, unexpected };
  }

  /** Excludes every parameter of this subtree from parameters() (and so from training). */
  freeze(): this {
    for (const [, slot] of this.slotsWithNames()) setSlotTrainable(slot, false);
    return this;
  }

  unfreeze(): this {
    for (const [, slot] of this.slotsWithNames()) setSlotTrainable(slot, true);
    return this;
  }

  /** Freezes or unfreezes one parameter by its dotted name. */
  setTrainable(name: string, trainable: boolean): void {
    const slot = new Map(this.slotsWithNames()).get(name);
    if (!slot) throw new Error(`no parameter "${name}"`);
    setSlotTrainable(slot, trainable);
  }

  /** Number of scalar weights (all variables, frozen included). */
  size(): number {
    let n = 0;
    for (const [, slot] of this.slotsWithNames()) n += slot.variable.size;
    return n;
  }

  dispose(): void {
    for (const [, slot] of this.slotsWithNames()) slot.variable.dispose();
  }
}

function join(prefix: string, name: string): string {
  if (!prefix) return name;
  return name ? `${prefix}.${name}` : prefix;
}

function setSlotTrainable(slot: Slot, trainable: boolean): void {
  slot.trainable = trainable;
  slot.variable.trainable = trainable;
}

function sameShape(a: number[], b: number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

function more(names: string[]): string {
  return names.length > 1 ? ` and ${names.length - 1} more` : '';
}
