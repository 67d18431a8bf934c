// GPUs of the local executor: which device ids a run may hand out, and whether a plan's requests fit.
// A node asking for g GPUs gets g distinct ids in its CUDA_VISIBLE_DEVICES; one asking for none gets
// an empty CUDA_VISIBLE_DEVICES when the run has GPUs, so it cannot take a card by accident.
import type { Plan } from '../graph/plan.js';

/** The ids listed in CUDA_VISIBLE_DEVICES ('' and '-1' mean none). */
export function visibleDevices(env: NodeJS.ProcessEnv): string[] {
  const value = env.CUDA_VISIBLE_DEVICES?.trim();
  if (!value || value === '-1' || value === 'NoDevFiles') return [];
  return value.split(',').map((s) => s.trim()).filter(Boolean);
}

/**
 * The device ids a run may use: with `--gpus N`, the first N of CUDA_VISIBLE_DEVICES when it lists
 * that many, else 0…N-1 when it is unset; without, everything CUDA_VISIBLE_DEVICES lists (else none).
 * Returns an error message when N asks for more devices than CUDA_VISIBLE_DEVICES allows.
 */
export function gpuPool(requested: number | undefined, env: NodeJS.ProcessEnv): string[] | { error: string } {
  const visible = visibleDevices(env);
  if (requested === undefined) return visible;
  if (env.CUDA_VISIBLE_DEVICES === undefined) return Array.from({ length: requested }, (_, i) => String(i));
  if (requested > visible.length) {
    return { error: `--gpus ${requested}, but CUDA_VISIBLE_DEVICES=${JSON.stringify(env.CUDA_VISIBLE_DEVICES)} makes only ${visible.length} visible` };
  }
  return visible.slice(0, requested);
}

/** A message naming every node to run that asks for more GPUs than the run has; undefined when all fit. */
export function gpuRequestProblem(plan: Plan, available: number): string | undefined {
  const over = [...plan.nodes.values()].filter((n) => n.run && (n.spec.resources.gpus ?? 0) > available);
  if (over.length === 0) return undefined;
  const list = over.map((n) => `${n.spec.id} asks for ${n.spec.resources.gpus}`).join(', ');
  return `not enough GPUs: ${list} (resources.gpus), but this run has ${available}` +
    (available === 0 ? ' (give --gpus N or set CUDA_VISIBLE_DEVICES)' : ' (--gpus, or CUDA_VISIBLE_DEVICES)');
}
