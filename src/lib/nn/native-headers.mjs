// Where the Node-API headers of the running Node are, for the optional addons' build scripts: they
// come with the Node installation itself (no download), so the addons build offline.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** The folder holding node_api.h for this Node, or undefined. */
export function nodeApiIncludeDir() {
  const candidates = [join(dirname(process.execPath), '..', 'include', 'node'), '/usr/include/node', '/usr/local/include/node'];
  return candidates.find((d) => existsSync(join(d, 'node_api.h')));
}
