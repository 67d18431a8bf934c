// The code digest of a plugin: the content of its entry module and of every local module it imports,
// each labelled by its path, so an edit to shared code a plugin uses changes that plugin's keys.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { canonicalJson, sha256Hex } from '../util/canonical.js';

const IMPORT_PATTERN = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)(['"])(\.{1,2}\/[^'"]+)\1/g;
const fileDigests = new Map<string, string>();

function fileDigest(path: string): string {
  let digest = fileDigests.get(path);
  if (digest === undefined) {
    digest = sha256Hex(readFileSync(path));
    fileDigests.set(path, digest);
  }
  return digest;
}

/** Digest of a JavaScript module and its transitive relative imports. */
export function moduleGraphDigest(entry: string, root: string): string {
  const seen = new Map<string, string>();
  const stack = [resolve(entry)];
  while (stack.length) {
    const file = stack.pop()!;
    if (seen.has(file)) continue;
    let text: string;
    try { text = readFileSync(file, 'utf8'); } catch { continue; }
    seen.set(relative(root, file).split(sep).join('/'), fileDigest(file));
    seen.set(file, '');
    for (const match of text.matchAll(IMPORT_PATTERN)) stack.push(resolve(dirname(file), match[2]));
  }
  const labelled: Record<string, string> = {};
  for (const [label, digest] of seen) if (digest) labelled[label] = digest;
  return sha256Hex(canonicalJson(labelled));
}

/** Digest of every file in a folder (command plugins), skipping dependency and VCS folders. */
export function folderDigest(dir: string): string {
  const labelled: Record<string, string> = {};
  const walk = (current: string): void => {
    for (const name of readdirSync(current).sort()) {
      if (name === 'node_modules' || name === '.git' || name === '__pycache__') continue;
      const full = join(current, name);
      const st = statSync(full);
      if (st.isDirectory()) walk(full);
      else if (st.isFile()) labelled[relative(dir, full).split(sep).join('/')] = fileDigest(full);
    }
  };
  walk(dir);
  return sha256Hex(canonicalJson(labelled));
}
