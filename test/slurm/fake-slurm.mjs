// A Slurm in a folder, for tests that run the compiled CLI: `sbatch`, `squeue`, `scancel` and
// `scontrol` answer as Slurm 22.05 does (the forms Retort uses), with the jobs kept in
// $FAKE_SLURM_DIR/jobs.json. Each squeue first runs, one after the other and to their end, the
// jobs whose dependencies have completed (their batch script, output to --output, as on a node),
// so a job goes PENDING → COMPLETED/FAILED between two listings, and nothing runs on its own.
// Usage: node fake-slurm.mjs <command> <args…> (see writeFakeSlurm in fake-slurm.ts).
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, renameSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.env.FAKE_SLURM_DIR;
const [command, ...args] = process.argv.slice(2);
const stateFile = join(dir, 'jobs.json');
const lock = join(dir, 'lock');

/** One process at a time changes the jobs (a driver submits while it polls). */
function locked(fn) {
  for (;;) {
    try { mkdirSync(lock); break; } catch { Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5); }
  }
  try { return fn(); } finally { rmdirSync(lock); }
}

const load = () => (existsSync(stateFile) ? JSON.parse(readFileSync(stateFile, 'utf8')) : { next: 100, jobs: {} });
const save = (state) => { writeFileSync(`${stateFile}.tmp`, JSON.stringify(state)); renameSync(`${stateFile}.tmp`, stateFile); };
const option = (name) => args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const ENDED_BADLY = /^(FAILED|CANCELLED|TIMEOUT)$/;

/** Every task of a job (a plain job is its own one task), by its id: "100" or "100_2". */
function tasks(state) {
  const out = new Map();
  for (const job of Object.values(state.jobs)) for (const t of job.tasks) out.set(t.id, t);
  return out;
}

function depStates(state, job) {
  const all = tasks(state);
  return job.after.flatMap((id) => (all.has(id) ? [all.get(id).state] : state.jobs[id].tasks.map((t) => t.state)));
}

function sbatch(input) {
  return locked(() => {
    const state = load();
    const id = String(state.next++);
    const array = option('array');
    const count = array ? Number(array.split('-')[1]) + 1 : 0;
    const script = join(dir, `${id}.sh`);
    writeFileSync(script, input);
    const dep = option('dependency');
    state.jobs[id] = {
      id, script, output: option('output') ?? join(option('chdir') ?? process.cwd(), `slurm-${id}.out`), chdir: option('chdir') ?? process.cwd(),
      after: dep ? dep.split(':').slice(1) : [], killOnInvalidDep: option('kill-on-invalid-dep') !== 'no',
      tasks: count ? Array.from({ length: count }, (_, i) => ({ id: `${id}_${i}`, task: i, state: 'PENDING' })) : [{ id, state: 'PENDING' }],
    };
    save(state);
    return `${id}\n`;
  });
}

/** Runs the task's batch script here, as a node would, and sets its end from the exit code. */
function runTask(job, task) {
  const output = job.output.replace(/%A|%j/g, job.id).replace(/%a/g, String(task.task ?? 0));
  const fd = openSync(output, 'a');
  task.start = Date.now();
  const arrayEnv = task.task === undefined ? {} : { SLURM_ARRAY_TASK_ID: String(task.task), SLURM_ARRAY_JOB_ID: job.id };
  const env = { ...process.env, SLURM_JOB_ID: task.id, ...arrayEnv };
  const res = spawnSync('/bin/sh', [job.script], { cwd: job.chdir, env, stdio: ['ignore', fd, fd] });
  closeSync(fd);
  task.end = Date.now();
  task.exit = res.status ?? 1;
  task.state = res.status === 0 ? 'COMPLETED' : 'FAILED';
}

function advance(state) {
  for (const job of Object.values(state.jobs)) {
    const deps = depStates(state, job);
    for (const task of job.tasks) {
      if (task.state !== 'PENDING') continue;
      if (deps.some((s) => ENDED_BADLY.test(s))) {
        if (job.killOnInvalidDep) Object.assign(task, { state: 'CANCELLED', reason: 'DependencyNeverSatisfied', end: Date.now() });
        else task.reason = 'DependencyNeverSatisfied';
        continue;
      }
      if (deps.some((s) => s !== 'COMPLETED')) { task.reason = 'Dependency'; continue; }
      runTask(job, task);
    }
  }
}

const slurmTime = (ms) => {
  if (!ms) return 'N/A';
  const d = new Date(ms);
  const p = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
};

function squeue() {
  return locked(() => {
    const state = load();
    advance(state);
    save(state);
    const ids = option('jobs').split(',');
    const lines = [];
    for (const id of ids) {
      const job = state.jobs[id.split('_')[0]];
      for (const t of job.tasks) {
        if (id.includes('_') && t.id !== id) continue;
        const reason = t.state === 'PENDING' ? t.reason ?? 'Priority' : t.reason ?? 'None';
        lines.push([t.id, job.id, t.task ?? 'N/A', t.state, reason, slurmTime(t.start), slurmTime(t.end), String((t.exit ?? 0) << 8), '0', ''].join('|'));
      }
    }
    return lines.map((l) => `${l}\n`).join('');
  });
}

function scancel() {
  return locked(() => {
    const state = load();
    const all = tasks(state);
    for (const id of args) {
      const chosen = all.has(id) ? [all.get(id)] : state.jobs[id]?.tasks ?? [];
      for (const t of chosen) if (t.state === 'PENDING' || t.state === 'RUNNING') Object.assign(t, { state: 'CANCELLED', reason: 'None', end: Date.now() });
    }
    save(state);
    return '';
  });
}

function scontrol() {
  if (args[0] !== 'update') throw new Error(`fake scontrol: ${args.join(' ')} is not supported`);
  return locked(() => {
    const state = load();
    const job = state.jobs[args[1].slice('jobid='.length).split('_')[0]];
    const dep = args.find((a) => a.startsWith('Dependency='));
    if (dep) { job.after = dep.slice('Dependency='.length).split(':').slice(1); for (const t of job.tasks) delete t.reason; }
    save(state);
    return '';
  });
}

const input = command === 'sbatch' ? readFileSync(0, 'utf8') : '';
const commands = { sbatch: () => sbatch(input), squeue, scancel, scontrol };
try {
  process.stdout.write(commands[command]());
} catch (err) {
  process.stderr.write(`${command}: error: ${err.message}\n`);
  process.exitCode = 1;
}
