// Runs the retort CLI as a user would: a child process in a temporary project directory.
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll } from 'vitest';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const BIN = join(ROOT, 'bin', 'retort.js');

export interface Result { code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }

// Temporary projects are removed after each test file (kept with RETORT_KEEP_TEST_DIRS=1).
const made: string[] = [];
afterAll(() => {
  if (process.env.RETORT_KEEP_TEST_DIRS) return;
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});

export class Project {
  readonly dir: string;
  readonly counter: string;
  constructor(prefix = 'retort-e2e-') {
    this.dir = mkdtempSync(join(tmpdir(), prefix));
    made.push(this.dir);
    this.counter = join(this.dir, 'executions.log');
    cpSync(join(ROOT, 'test', 'fixtures', 'plugins'), join(this.dir, 'plugins'), { recursive: true });
  }

  write(name: string, text: string): string {
    const path = join(this.dir, name);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, text);
    return path;
  }

  env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
    // Each project has its own user cache, as a fresh machine would.
    const env: NodeJS.ProcessEnv = { ...process.env, RETORT_TEST_COUNTER: this.counter, RETORT_CACHE_DIR: join(this.dir, '.retort-cache') };
    delete env.MLFLOW_TRACKING_URI; // tests choose their tracking server explicitly
    return { ...env, ...extra };
  }

  start(args: string[], extra: Record<string, string> = {}): ChildProcess {
    return spawn(process.execPath, [BIN, ...args], { cwd: this.dir, env: this.env(extra), stdio: ['ignore', 'pipe', 'pipe'] });
  }

  run(args: string[], extra: Record<string, string> = {}): Promise<Result> {
    return collect(this.start(args, extra));
  }

  /** Node ids executed so far, in order (from the side channel). */
  executions(): string[] {
    if (!existsSync(this.counter)) return [];
    return readFileSync(this.counter, 'utf8').split('\n').filter(Boolean).map((l) => l.split(' ')[0]!);
  }

  resetExecutions(): void {
    writeFileSync(this.counter, '');
  }
}

export function collect(child: ChildProcess): Promise<Result> {
  return new Promise((resolveResult) => {
    let stdout = '';
    let stderr = '';
    child.stdout?.setEncoding('utf8').on('data', (c: string) => { stdout += c; });
    child.stderr?.setEncoding('utf8').on('data', (c: string) => { stderr += c; });
    child.on('close', (code, signal) => resolveResult({ code, signal, stdout, stderr }));
  });
}
