// A CLI sub-command. Each lives in its own module under cli/commands/ and is listed in cli/registry.ts.

export interface CliIO {
  stdout: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  cwd: string;
  env: NodeJS.ProcessEnv;
}

export interface CliCommand {
  name: string;
  summary: string;
  /** Full help text shown by `retort <name> --help`. */
  help: string;
  /** Returns the exit code: 0 ok, 1 a node failed, 2 usage or recipe error, 130 interrupted. */
  run(args: string[], io: CliIO): Promise<number>;
}

export const EXIT = { ok: 0, failed: 1, usage: 2, interrupted: 130 } as const;
