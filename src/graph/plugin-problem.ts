// Says why a stage's plugin could not be loaded, in the recipe's terms and pointing at the fault.
import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import type { PluginNotFound } from '../plugin/registry.js';
import { RecipeError } from '../recipe/diagnostic.js';
import { parseYaml } from '../recipe/load.js';
import { didYouMean } from '../util/suggest.js';
import type { Problems } from './problems.js';

/** A plugin that cannot be loaded, said relative to the recipe and pointing where the fault is. */
export function pluginProblem(stage: string, ref: string, err: PluginNotFound, recipeDir: string, problems: Problems): void {
  const path = ['stages', stage, 'plugin'];
  const isFolder = ref.startsWith('.') || isAbsolute(ref);
  const dir = resolve(recipeDir, ref);
  const manifest = join(dir, 'plugin.yaml');
  if (isFolder && existsSync(manifest)) {
    // A YAML syntax error in plugin.yaml: point into plugin.yaml itself.
    try {
      parseYaml(readFileSync(manifest, 'utf8'), manifest);
    } catch (syntax) {
      if (!(syntax instanceof RecipeError)) throw syntax;
      const entry = problems.sources.get(path);
      for (const d of syntax.diagnostics) {
        problems.add([{ ...d, related: [...(d.related ?? []), { message: `plugin of stage '${stage}'`, location: entry?.value ?? problems.fallback }] }]);
      }
      return;
    }
  }
  const fault = err.fault;
  switch (fault.kind) {
    case 'unknown-id':
      problems.at(path, err.message, {
        hint: didYouMean(ref, fault.candidates) ?? (fault.candidates.length ? `expected one of the built-in plugins: ${fault.candidates.join(', ')}` : undefined),
        notes: ['a plugin is a built-in id, a folder path (./my-plugin) or an installed npm package; `retort plugins` lists the built-in ones'],
      });
      return;
    case 'invalid-module':
      problems.at(path, `invalid plugin '${ref}': ${fault.detail}`, {
        hint: 'expected the module to export default definePlugin({ id, version, params, outputs, run })', notes: [`loaded ${fault.file}`],
      });
      return;
    case 'bad-manifest':
      problems.at(path, `invalid plugin.yaml of plugin '${ref}': ${fault.detail}`, {
        hint: 'expected plugin.yaml with id, version, command and outputs (and optionally params, inputs, env)', notes: [`read ${fault.file}`],
      });
      return;
    default: {
      // Said with the path as the recipe wrote it, not the absolute one.
      const hint = fault.kind === 'no-folder'
        ? "expected a folder (relative to the recipe's folder) holding plugin.yaml (a command plugin) or index.js (a module plugin)"
        : fault.kind === 'no-entry' ? 'expected plugin.yaml (a command plugin), or index.js / index.mjs exporting definePlugin({...})' : undefined;
      problems.at(path, err.message.split(dir).join(ref), { hint, notes: isFolder ? [`looked in ${dir}`] : undefined });
    }
  }
}
