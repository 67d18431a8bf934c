// Checksums the Hub publishes: sha256 of the content for LFS files, the git blob sha1
// (sha1 of "blob <size>\0" + content) for files stored in git directly.

import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';

export type ChecksumKind = 'sha256' | 'git-sha1';

export async function fileChecksum(file: string, kind: ChecksumKind): Promise<string> {
  const hash = createHash(kind === 'sha256' ? 'sha256' : 'sha1');
  if (kind === 'git-sha1') hash.update(`blob ${(await stat(file)).size}\0`);
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

export function bufferChecksum(data: Uint8Array, kind: ChecksumKind): string {
  const hash = createHash(kind === 'sha256' ? 'sha256' : 'sha1');
  if (kind === 'git-sha1') hash.update(`blob ${data.length}\0`);
  return hash.update(data).digest('hex');
}
