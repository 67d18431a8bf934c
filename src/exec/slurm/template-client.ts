// Runs a ClusterTemplate's commands through /bin/sh.
import { processRunner, runChecked, type CommandRunner, type RunnerOptions } from './command.js';
import { cancelCommand, parseStatus, parseSubmitted, statusCommand, submitCommand, type ClusterTemplate, type TemplateJob, type TemplatePhase } from './command-template.js';

export class TemplateCluster {
  private readonly run: CommandRunner;

  constructor(readonly template: ClusterTemplate, opts: RunnerOptions & { run?: CommandRunner } = {}) {
    this.run = opts.run ?? processRunner(opts);
  }

  async submit(job: TemplateJob): Promise<string> {
    return parseSubmitted(this.template, await this.sh(submitCommand(this.template, job), true));
  }

  /** One status command for all `ids`; jobs it does not list are absent from the map. */
  async status(ids: readonly string[]): Promise<Map<string, { state: string; phase: TemplatePhase }>> {
    if (!ids.length) return new Map();
    return parseStatus(this.template, await this.sh(statusCommand(this.template, ids)));
  }

  async cancel(ids: readonly string[]): Promise<void> {
    if (ids.length) await this.sh(cancelCommand(this.template, ids));
  }

  /** Errors name the template's program (its first word); a failed submission counts as a rejection. */
  private sh(command: string, submit = false): Promise<string> {
    return runChecked((_, args) => this.run('/bin/sh', args), command.split(' ')[0] ?? command, ['-c', command], undefined, { submit });
  }
}
