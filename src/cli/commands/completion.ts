// `retort completion bash|zsh|fish`: a completion script for the shell, made from the command list
// and the options each command's help names.
import { UsageError, parse } from '../args.js';
import { EXIT, type CliCommand, type CliIO } from '../command.js';
import { loadCommands } from '../registry.js';

export const command: CliCommand = {
  name: 'completion',
  summary: 'print a shell completion script (bash, zsh or fish)',
  help: `Usage: retort completion bash|zsh|fish

Prints a script that completes retort's commands, their options and file names.
  bash:  source <(retort completion bash)        (or save it in ~/.local/share/bash-completion/completions/retort)
  zsh:   source <(retort completion zsh)         (after compinit)
  fish:  retort completion fish > ~/.config/fish/completions/retort.fish`,
  run: async (args: string[], io: CliIO) => {
    const { values, positionals } = parse(args, { help: { type: 'boolean', short: 'h' } }, { min: 1, max: 1, names: 'a shell: bash, zsh or fish' });
    if (values.help) { io.stdout.write(command.help + '\n'); return EXIT.ok; }
    const shell = positionals[0];
    const commands = (await loadCommands()).map((c) => ({ name: c.name, summary: c.summary, options: optionsOf(c.help) }));
    const script = shell === 'bash' ? bash(commands) : shell === 'zsh' ? zsh(commands) : shell === 'fish' ? fish(commands) : undefined;
    if (script === undefined) throw new UsageError(`unknown shell '${shell}' (bash, zsh or fish)`);
    io.stdout.write(script);
    return EXIT.ok;
  },
};

interface Completable { name: string; summary: string; options: string[] }

/** The long options a help text names (every command also takes --help). */
export function optionsOf(help: string): string[] {
  return [...new Set([...(help.match(/--[a-z][a-z-]*/g) ?? []), '--help'])].sort();
}

const quote = (text: string) => `'${text.replace(/'/g, `'\\''`)}'`;

function bash(commands: Completable[]): string {
  const cases = commands.map((c) => `    ${c.name}) opts=${quote(c.options.join(' '))} ;;`).join('\n');
  return `# retort completion for bash
_retort() {
  local cur=\${COMP_WORDS[COMP_CWORD]} opts=''
  if [ "$COMP_CWORD" -eq 1 ]; then
    COMPREPLY=( $(compgen -W ${quote(commands.map((c) => c.name).join(' '))} -- "$cur") )
    return
  fi
  case "\${COMP_WORDS[1]}" in
${cases}
  esac
  if [[ $cur == -* ]]; then COMPREPLY=( $(compgen -W "$opts" -- "$cur") ); else COMPREPLY=( $(compgen -f -- "$cur") ); fi
}
complete -o filenames -F _retort retort
`;
}

function zsh(commands: Completable[]): string {
  const described = commands.map((c) => `    ${quote(`${c.name}:${c.summary.replace(/:/g, '\\:')}`)}`).join('\n');
  const cases = commands.map((c) => `    ${c.name}) opts=(${c.options.map(quote).join(' ')}) ;;`).join('\n');
  return `#compdef retort
# retort completion for zsh
_retort() {
  local -a commands opts
  commands=(
${described}
  )
  if (( CURRENT == 2 )); then _describe 'command' commands; return; fi
  case $words[2] in
${cases}
  esac
  if [[ $PREFIX == -* ]]; then compadd -a opts; else _files; fi
}
compdef _retort retort
`;
}

function fish(commands: Completable[]): string {
  const lines = ['# retort completion for fish', 'complete -c retort -f -n __fish_use_subcommand -a help -d "list the commands"'];
  for (const c of commands) {
    lines.push(`complete -c retort -f -n __fish_use_subcommand -a ${c.name} -d ${quote(c.summary)}`);
    for (const o of c.options) lines.push(`complete -c retort -n ${quote(`__fish_seen_subcommand_from ${c.name}`)} -l ${o.slice(2)}`);
    lines.push(`complete -c retort -n ${quote(`__fish_seen_subcommand_from ${c.name}`)} -F`);
  }
  return lines.join('\n') + '\n';
}
