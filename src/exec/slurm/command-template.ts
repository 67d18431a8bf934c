// A cluster described by three command templates, as Snakemake's --cluster was: one to submit a
// job script (printing the job id), one to list the state of jobs, one to cancel them. PBS, LSF or
// SGE users describe theirs in the same way; Slurm's own commands fit too (SLURM_TEMPLATE).
//
// Placeholders: {name} {script} {output} {cwd} {ids} {dependencies}, and resources as
// {cpus} {memoryMb} {timeMinutes} {gpus} {partition} {account} {qos} {constraint}, and {extra} (extraArgs).
// {cpus:--cpus-per-task=} puts the option in front of the value, and renders nothing when the value
// is unset. Every value is quoted for the shell the command runs in.
import { shellQuote } from './submit.js';
import type { SlurmResources } from './resources.js';
import { slurmMinutes } from './resources.js';

export type TemplatePhase = 'pending' | 'running' | 'succeeded' | 'failed' | 'cancelled';

export interface ClusterTemplate {
  /** Submits {script}; prints the job id (the first match of idPattern). */
  submit: string;
  /** How upstream job ids become {dependencies}: each id through `each`, joined by `join`, inside `wrap` ({list}). */
  dependencies?: { each: string; join: string; wrap: string };
  /** The id in the submit command's output (default: the first number). */
  idPattern?: string;
  /** Lists {ids} (joined by idsSeparator); one line per job matching statusPattern (groups: id, state). */
  status: string;
  statusPattern?: string;
  /** The scheduler's state words, each as a phase. A word not listed is an error. */
  states: Record<string, TemplatePhase>;
  /** Cancels {ids}. */
  cancel: string;
  idsSeparator?: string;
}

export interface TemplateJob {
  name: string;
  script: string;
  output?: string;
  cwd?: string;
  afterOk?: string[];
  resources?: SlurmResources;
}

export const SLURM_TEMPLATE: ClusterTemplate = {
  submit: 'sbatch --parsable --job-name={name} {output:--output=} {cwd:--chdir=} {dependencies} {cpus:--cpus-per-task=} {memoryMb:--mem=} {timeMinutes:--time=} {gpus:--gres=gpu:} {partition:--partition=} {account:--account=} {qos:--qos=} {constraint:--constraint=} {extra} {script}',
  dependencies: { each: '{id}', join: ':', wrap: '--dependency=afterok:{list} --kill-on-invalid-dep=yes' },
  status: "squeue --noheader --states=all --jobs={ids} --format='%i %T'",
  statusPattern: '^(\\S+)\\s+(\\S+)$',
  states: {
    PENDING: 'pending', REQUEUED: 'pending', CONFIGURING: 'running', RUNNING: 'running', COMPLETING: 'running', SUSPENDED: 'running',
    COMPLETED: 'succeeded', FAILED: 'failed', TIMEOUT: 'failed', OUT_OF_MEMORY: 'failed', NODE_FAIL: 'failed', PREEMPTED: 'failed',
    BOOT_FAIL: 'failed', DEADLINE: 'failed', CANCELLED: 'cancelled',
  },
  cancel: 'scancel {ids}',
  idsSeparator: ',',
};

const KNOWN = ['name', 'script', 'output', 'cwd', 'ids', 'dependencies', 'cpus', 'memoryMb', 'timeMinutes', 'gpus', 'partition', 'account', 'qos', 'constraint', 'extra', 'id', 'list'];

/**
 * Fills a template's placeholders. Values are shell-quoted; `raw` ones ({dependencies}, {ids}, {list})
 * are already command text. An unknown placeholder is an error naming the ones there are.
 */
export function fill(template: string, values: Record<string, string | number | undefined>, raw: ReadonlySet<string> = new Set()): string {
  const text = template.replace(/\{([A-Za-z]+)(?::([^}]*))?\}/g, (_, name: string, prefix: string | undefined) => {
    if (!KNOWN.includes(name)) throw new RangeError(`unknown placeholder {${name}} in ${JSON.stringify(template)} (known: ${KNOWN.map((k) => `{${k}}`).join(' ')})`);
    const value = values[name];
    if (value === undefined || value === '') return '';
    const rendered = raw.has(name) ? String(value) : shellQuote(String(value));
    return `${prefix ?? ''}${rendered}`;
  });
  return text.replace(/ {2,}/g, ' ').trim();
}

/** The submit command for a job. */
export function submitCommand(t: ClusterTemplate, job: TemplateJob): string {
  const r = job.resources ?? {};
  const deps = job.afterOk?.length && t.dependencies
    ? fill(t.dependencies.wrap, { list: job.afterOk.map((id) => fill(t.dependencies!.each, { id: checkId(id) })).join(t.dependencies.join) }, new Set(['list']))
    : undefined;
  if (job.afterOk?.length && !t.dependencies) throw new RangeError('this cluster template has no way to express dependencies (dependencies)');
  return fill(t.submit, {
    name: job.name, script: job.script, output: job.output, cwd: job.cwd, dependencies: deps,
    cpus: r.cpus, memoryMb: r.memoryMb, timeMinutes: r.timeLimit === undefined ? undefined : slurmMinutes(r.timeLimit), gpus: r.gpus,
    partition: r.partition, account: r.account, qos: r.qos, constraint: r.constraint, extra: r.extraArgs?.map(shellQuote).join(' '),
  }, new Set(['dependencies', 'extra']));
}

export function statusCommand(t: ClusterTemplate, ids: readonly string[]): string {
  return fill(t.status, { ids: ids.map(checkId).join(t.idsSeparator ?? ' ') }, new Set(['ids']));
}

export function cancelCommand(t: ClusterTemplate, ids: readonly string[]): string {
  return fill(t.cancel, { ids: ids.map(checkId).join(' ') }, new Set(['ids']));
}

/** The job id in the submit command's output. */
export function parseSubmitted(t: ClusterTemplate, stdout: string): string {
  const m = new RegExp(t.idPattern ?? '(\\d+)', 'm').exec(stdout);
  if (!m) throw new Error(`the submit command printed no job id (got ${JSON.stringify(stdout.trim())})`);
  return m[1] ?? m[0];
}

/** The phase of each job in the status command's output; lines that do not match the pattern are skipped (headers). */
export function parseStatus(t: ClusterTemplate, stdout: string): Map<string, { state: string; phase: TemplatePhase }> {
  const pattern = new RegExp(t.statusPattern ?? '^(\\S+)\\s+(\\S+)');
  const out = new Map<string, { state: string; phase: TemplatePhase }>();
  for (const line of stdout.split('\n')) {
    const m = pattern.exec(line.trim());
    if (!m) continue;
    const [, id = '', state = ''] = m;
    const phase = t.states[state];
    if (!phase) throw new Error(`the status command printed state ${JSON.stringify(state)} for job ${id}, which the template does not list (states: ${Object.keys(t.states).join(', ')})`);
    out.set(id, { state, phase });
  }
  return out;
}

function checkId(id: string): string {
  // Ids go into commands unquoted: only what job ids look like on the usual schedulers.
  if (!/^[A-Za-z0-9_.[\]-]+$/.test(id)) throw new RangeError(`${JSON.stringify(id)} is not a job id`);
  return id;
}
