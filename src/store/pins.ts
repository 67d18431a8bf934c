// Pins: entries the user wants kept whatever gc decides (e.g. the artifacts behind a paper table).
// Stored in <store>/pins.json; changes are read-modify-write under a store lock.
import { promises as fs } from 'node:fs';
import { assertKey } from './layout.js';
import { isKey } from './manifest.js';
import { isNotFound, writeFileAtomic } from './fsutil.js';
import type { Store } from './store.js';
import type { Key } from '../util/ids.js';

export interface Pin {
  key: Key;
  name?: string;
  pinnedAt: number;
}

interface PinsFile {
  version: 1;
  pins: Pin[];
}

/** Pins `key` (again: updates its name). A name may label only one key. */
export async function pin(store: Store, key: Key, name?: string): Promise<void> {
  assertKey(key);
  if (name !== undefined && (name.trim() === '' || isKey(name))) throw new Error(`invalid pin name ${JSON.stringify(name)}`);
  await store.withLock('pins', async () => {
    const pins = await readPins(store);
    const other = name === undefined ? undefined : pins.find((p) => p.name === name && p.key !== key);
    if (other) throw new Error(`pin name "${name}" already labels entry ${other.key.slice(0, 12)}; unpin it first`);
    const kept = pins.filter((p) => p.key !== key);
    kept.push(name === undefined ? { key, pinnedAt: Date.now() } : { key, name, pinnedAt: Date.now() });
    await writePins(store, kept);
  });
}

/**
 * Pins every key of a group at once (e.g. every node of a run), under one name or none. A key pinned
 * already keeps its pin (and its name); a name in use for keys outside the group is an error.
 * Returns how many keys were newly pinned and how many were pinned already.
 */
export async function pinKeys(store: Store, keys: readonly Key[], name?: string): Promise<{ added: number; already: number }> {
  for (const key of keys) assertKey(key);
  if (name !== undefined && (name.trim() === '' || isKey(name))) throw new Error(`invalid pin name ${JSON.stringify(name)}`);
  const group = new Set(keys);
  return store.withLock('pins', async () => {
    const pins = await readPins(store);
    const other = name === undefined ? undefined : pins.find((p) => p.name === name && !group.has(p.key));
    if (other) throw new PinNameTaken(name!, other.key);
    const pinned = new Set(pins.map((p) => p.key));
    const now = Date.now();
    const added = [...group].filter((key) => !pinned.has(key)).map((key): Pin => (name === undefined ? { key, pinnedAt: now } : { key, name, pinnedAt: now }));
    if (added.length) await writePins(store, [...pins, ...added]);
    return { added: added.length, already: group.size - added.length };
  });
}

/** Removes the pins `which` selects; returns how many were removed. */
export async function unpinWhere(store: Store, which: (pin: Pin) => boolean): Promise<number> {
  return store.withLock('pins', async () => {
    const pins = await readPins(store);
    const kept = pins.filter((p) => !which(p));
    if (kept.length !== pins.length) await writePins(store, kept);
    return pins.length - kept.length;
  });
}

export class PinNameTaken extends Error {
  readonly expected = true;
  constructor(readonly pinName: string, readonly key: Key) {
    super(`pin name "${pinName}" already labels entry ${key.slice(0, 12)}; choose another --name, or unpin it first (retort pin --remove "${pinName}")`);
  }
}

/** Removes the pins whose key or name is `keyOrName`; returns how many were removed. */
export async function unpin(store: Store, keyOrName: string): Promise<number> {
  return store.withLock('pins', async () => {
    const pins = await readPins(store);
    const kept = pins.filter((p) => p.key !== keyOrName && p.name !== keyOrName);
    if (kept.length !== pins.length) await writePins(store, kept);
    return pins.length - kept.length;
  });
}

export async function listPins(store: Store): Promise<Pin[]> {
  return readPins(store);
}

async function readPins(store: Store): Promise<Pin[]> {
  const path = store.layout.pinsFile;
  let text: string;
  try {
    text = await fs.readFile(path, 'utf8');
  } catch (err) {
    if (isNotFound(err)) return [];
    throw err;
  }
  // A damaged pins file must stop gc rather than read as "nothing pinned".
  let parsed: Partial<PinsFile>;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new Error(`${path}: not valid JSON (${(err as Error).message}); fix or delete it`, { cause: err });
  }
  if (parsed?.version !== 1 || !Array.isArray(parsed.pins) || !parsed.pins.every((p) => isKey(p?.key))) {
    throw new Error(`${path}: expected {"version": 1, "pins": [{"key": <64 hex>, "name"?, "pinnedAt"}]}; fix or delete it`);
  }
  return parsed.pins;
}

async function writePins(store: Store, pins: Pin[]): Promise<void> {
  const file: PinsFile = { version: 1, pins: pins.sort((a, b) => a.pinnedAt - b.pinnedAt) };
  await writeFileAtomic(store.layout.pinsFile, JSON.stringify(file, null, 1) + '\n');
}
