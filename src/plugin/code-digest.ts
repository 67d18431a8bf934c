// The code digest of a plugin: the content of its entry module and of every local module it imports,
// each labelled by its path, so an edit to shared code a plugin uses changes that plugin's keys.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { canonicalJson, sha256Hex } from '../util/canonical.js';

const IMPORT_PATTERN = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)(['"])(\.{1,2}\/[^'"]+)\1/g;

/** What the digest needs of one source file: its sha256 and the local modules it imports (absolute). */
export interface SourceFacts { sha256: string; imports: string[] }

/** Reads a source file's facts; undefined when it cannot be read (a missing import is skipped). */
export type SourceReader = (path: string) => SourceFacts | undefined;

const perProcess = new Map<string, SourceFacts>();

/** Reads and hashes a file once per process. */
export const readSource: SourceReader = (path) => {
  let facts = perProcess.get(path);
  if (facts === undefined) {
    let bytes: Buffer;
    try { bytes = readFileSync(path); } catch { return undefined; }
    facts = sourceFacts(path, bytes);
    perProcess.set(path, facts);
  }
  return facts;
};

export function sourceFacts(path: string, bytes: Buffer): SourceFacts {
  const imports = [...bytes.toString('utf8').matchAll(IMPORT_PATTERN)].map((m) => resolve(dirname(path), m[2]!));
  return { sha256: sha256Hex(bytes), imports };
}

/** Digest of a JavaScript module and its transitive relative imports. */
export function moduleGraphDigest(entry: string, root: string, read: SourceReader = readSource): string {
  const labelled: Record<string, string> = {};
  const seen = new Set<string>();
  const stack = [resolve(entry)];
  while (stack.length) {
    const file = stack.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    const facts = read(file);
    if (!facts) continue;
    labelled[relative(root, file).split(sep).join('/')] = facts.sha256;
    for (const imported of facts.imports) stack.push(imported);
  }
  return sha256Hex(canonicalJson(labelled));
}

/** Digest of every file in a folder (command plugins), skipping dependency and VCS folders. */
export function folderDigest(dir: string, read: SourceReader = readSource): string {
  const labelled: Record<string, string> = {};
  for (const file of folderFiles(dir)) {
    const facts = read(file);
    if (facts) labelled[relative(dir, file).split(sep).join('/')] = facts.sha256;
  }
  return sha256Hex(canonicalJson(labelled));
}

/** Every regular file under a plugin folder, in a stable order, without dependency and VCS folders. */
export function folderFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (current: string): void => {
    for (const name of readdirSync(current).sort()) {
      if (name === 'node_modules' || name === '.git' || name === '__pycache__') continue;
      const full = join(current, name);
      const st = statSync(full);
      if (st.isDirectory()) walk(full);
      else if (st.isFile()) out.push(full);
    }
  };
  walk(dir);
  return out;
}
