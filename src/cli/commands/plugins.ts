import { builtinPluginIds, loadPlugin, PluginNotFound } from '../../plugin/registry.js';
import { didYouMean } from '../../util/suggest.js';
import { parse, UsageError } from '../args.js';
import { EXIT, type CliCommand, type CliIO } from '../command.js';

export const command: CliCommand = {
  name: 'plugins',
  summary: 'list plugins with their params, inputs and outputs',
  help: `Usage: retort plugins [id|./folder...] [--json]

Without arguments, lists the built-in plugins. With ids or plugin folders, shows
each plugin's version, params (type, default, description) and ports.`,
  run: async (args: string[], io: CliIO) => {
    const { values, positionals } = parse(args, { help: { type: 'boolean', short: 'h' }, json: { type: 'boolean' } }, { min: 0, max: Infinity, names: 'plugin ids' });
    if (values.help) { io.stdout.write(command.help + '\n'); return EXIT.ok; }
    const ids = positionals.length ? positionals : builtinPluginIds();
    const plugins = await Promise.all(ids.map((id) => loadPlugin(id, io.cwd).catch((err: unknown) => {
      if (!(err instanceof PluginNotFound)) throw err;
      if (err.fault.kind !== 'unknown-id') throw new UsageError(err.message);
      const guess = didYouMean(id, err.fault.candidates);
      throw new UsageError(`${err.message}${guess ? `; ${guess}` : ''} (built-in plugins: ${err.fault.candidates.join(', ')}; a folder path such as ./my-plugin also works)`);
    })));
    if (values.json) {
      io.stdout.write(JSON.stringify(plugins.map((p) => ({ id: p.def.id, version: p.def.version, description: p.def.description, params: p.def.params, inputs: p.def.inputs ?? {}, outputs: p.def.outputs, env: p.def.env ?? [] })), null, 2) + '\n');
      return EXIT.ok;
    }
    for (const p of plugins) {
      io.stdout.write(`${p.def.id}@${p.def.version}${p.kind === 'command' ? ' (command)' : ''}${p.def.description ? `  ${p.def.description}` : ''}\n`);
      const props = (p.def.params.properties ?? {}) as Record<string, { type?: string | string[]; default?: unknown; description?: string; enum?: unknown[] }>;
      const required = new Set((p.def.params.required as string[] | undefined) ?? []);
      for (const [name, s] of Object.entries(props)) {
        const type = s.enum ? s.enum.map((v) => JSON.stringify(v)).join('|') : [s.type ?? 'any'].flat().join('|');
        const dflt = s.default !== undefined ? ` = ${JSON.stringify(s.default)}` : required.has(name) ? ' (required)' : '';
        io.stdout.write(`  param  ${name}: ${type}${dflt}${s.description ? `  ${s.description}` : ''}\n`);
      }
      for (const [name, s] of Object.entries(p.def.inputs ?? {})) io.stdout.write(`  input  ${name}${s.many ? ' (many)' : ''}${s.optional ? ' (optional)' : ''}${s.description ? `  ${s.description}` : ''}\n`);
      for (const [name, s] of Object.entries(p.def.outputs)) io.stdout.write(`  output ${name}${s.description ? `  ${s.description}` : ''}\n`);
      if (p.def.env?.length) io.stdout.write(`  env    ${p.def.env.join(', ')}\n`);
    }
    return EXIT.ok;
  },
};
