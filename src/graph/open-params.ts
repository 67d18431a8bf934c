// Params a command plugin does not declare. A plugin.yaml schema that leaves additionalProperties out
// usually forgot it, so a misspelt param would pass unseen: such params are errors, unless the schema
// says `additionalProperties: true` (or patternProperties) and so takes other params on purpose.
import type { LoadedPlugin } from '../plugin/registry.js';
import type { KeyPath } from '../recipe/source-map.js';
import { closest, didYouMean } from '../util/suggest.js';
import type { Problems } from './problems.js';

export function undeclaredParams(plugin: LoadedPlugin, params: Record<string, unknown>, path: KeyPath, problems: Problems, suffix?: string): void {
  if (plugin.kind !== 'command') return;
  const schema = plugin.def.params as Record<string, unknown>;
  if ('additionalProperties' in schema || 'patternProperties' in schema || 'unevaluatedProperties' in schema) return;
  const known = Object.keys((schema.properties as object | undefined) ?? {});
  const expected = known.length ? `expected one of: ${known.join(', ')}` : 'its plugin.yaml declares no params';
  for (const name of Object.keys(params)) {
    if (known.includes(name)) continue;
    problems.at([...path, name], `unknown param '${name}' of plugin '${plugin.def.id}'${suffix ? ` ${suffix}` : ''}`, {
      hint: didYouMean(name, known) ?? expected,
      notes: [...(closest(name, known) ? [expected] : []), "the plugin's params schema does not list it; a plugin that takes any params says `additionalProperties: true`"],
    }, true);
  }
}
