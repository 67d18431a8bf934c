// The yaml library, loaded the first time something parses YAML. Evaluating it costs about 0.1 s of
// CPU in a fresh process, which a plan that reuses its compiled recipe never needs. It ships as
// CommonJS for Node (the same file `import 'yaml'` loads), so a synchronous require is enough.
import { createRequire } from 'node:module';

type YamlLibrary = typeof import('yaml');

let library: YamlLibrary | undefined;

export function yamlLib(): YamlLibrary {
  return (library ??= createRequire(import.meta.url)('yaml') as YamlLibrary);
}
