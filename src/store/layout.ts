// Where everything lives inside a store root:
//
//   objects/<k[0..2]>/<key>/manifest.json   the entry's manifest (written last, read-only)
//                          /out/<port>/...  output ports (files read-only)
//                          /log.txt         the node's log, replayed on a hit
//                          /used            touched on every hit: last-use time for gc (absent → createdAt)
//   staging/<key>@<host>@<boot>@<pid>@<rand>/  entries being written; the same layout, renamed into objects/
//   leases/<key>.lease                      per-key lease (see lease.ts)
//   quarantine/<key>@<time>@<rand>/         corrupt entries moved aside (kept for inspection until gc)
//   trash/                                  entries being deleted by gc (moved here first, then removed)
//   by-stage/<stage>/<key>                  empty marker files: which keys a stage produced (for explain)
//   scratch/<key>/                          a node's private working files (checkpoints) that outlive a
//                                           crash of the node or the run; only touched under the key's
//                                           lease, never part of an entry, removed on publish and by gc
//   pins.json                               pinned keys
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { isKey } from './manifest.js';
import { randomId } from './fsutil.js';
import type { Key } from '../util/ids.js';

export class StoreLayout {
  readonly objects: string;
  readonly staging: string;
  readonly leases: string;
  readonly quarantine: string;
  readonly trash: string;
  readonly byStage: string;
  readonly scratch: string;
  readonly pinsFile: string;

  constructor(readonly root: string) {
    this.objects = join(root, 'objects');
    this.staging = join(root, 'staging');
    this.leases = join(root, 'leases');
    this.quarantine = join(root, 'quarantine');
    this.trash = join(root, 'trash');
    this.byStage = join(root, 'by-stage');
    this.scratch = join(root, 'scratch');
    this.pinsFile = join(root, 'pins.json');
  }

  entryDir(key: Key): string {
    assertKey(key);
    return join(this.objects, key.slice(0, 2), key);
  }

  manifestPath(key: Key): string {
    return join(this.entryDir(key), 'manifest.json');
  }

  scratchDir(key: Key): string {
    assertKey(key);
    return join(this.scratch, key);
  }

  stageIndexDir(stage: string): string {
    return join(this.byStage, stageDirName(stage));
  }
}

export const ENTRY_MANIFEST = 'manifest.json';
export const ENTRY_OUT = 'out';
export const ENTRY_LOG = 'log.txt';
export const ENTRY_USED = 'used';

export function assertKey(key: string): asserts key is Key {
  if (!isKey(key)) throw new Error(`invalid store key ${JSON.stringify(key)} (expected 64 lowercase hex digits)`);
}

/** Stage names are free text; this makes a file name that cannot escape by-stage/. */
function stageDirName(stage: string): string {
  const encoded = 's-' + encodeURIComponent(stage);
  return encoded.length <= 120 ? encoded : 'h-' + createHash('sha256').update(stage).digest('hex');
}

export interface StagingOwner {
  key: Key;
  host: string;
  /** First characters of the writer's boot id ('' when unknown). */
  boot: string;
  pid: number;
}

/** The owner is in the name so stale staging areas can be recognised without reading anything. */
export function stagingName(key: Key, host: string, bootId: string, pid: number): string {
  return `${key}@${host}@${shortBoot(bootId)}@${pid}@${randomId()}`;
}

export function shortBoot(bootId: string): string {
  return bootId.replace(/[^0-9a-f]/gi, '').slice(0, 12);
}

export function parseStagingName(name: string): StagingOwner | undefined {
  const parts = name.split('@');
  if (parts.length !== 5) return undefined;
  const [key, host, boot, pid] = parts as [string, string, string, string, string];
  if (!isKey(key) || !/^\d+$/.test(pid)) return undefined;
  return { key, host, boot, pid: Number(pid) };
}
