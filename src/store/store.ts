// The content-addressed artifact store: one immutable entry per node key (layout in layout.ts).
// Entries are written in a private staging directory and renamed into place in one step, so a
// crash leaves either no entry or a complete one; lookups verify files against the manifest and
// move corrupt entries aside instead of using them.
import { lstatSync, promises as fs, readdirSync, readFileSync, statSync, type Stats } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  errorCode, isNotFound, isPidAlive, Limiter, listDir, mapLimit, randomId, removeTree, thisMachine,
} from './fsutil.js';
import { hashFile } from './hash.js';
import { DEFAULT_TTL_MS, LeaseManager, type Lease, type UnreadableLease } from './lease.js';
import { cleanLeases } from './lease-cleanup.js';
import {
  assertKey, ENTRY_LOG, ENTRY_MANIFEST, ENTRY_OUT, ENTRY_USED, parseStagingName, shortBoot, stagingName, StoreLayout,
} from './layout.js';
import { isKey, isSafeRelativePath, parseManifest, serializeManifest, type Manifest, type ManifestFields, type ManifestFile } from './manifest.js';
import { entryProblem, sameMtime } from './verify.js';
import { entryAccessFault } from './store-fault.js';
import { EntryIndex, identityOf, indexName, isVersionOf, type IndexedEntry, type ManifestIdentity } from './entry-index.js';
import type { Key } from '../util/ids.js';

/** Where the per-recipe entry indexes live, beside objects/. */
const INDEX_DIR = 'index';

export type { Lease, UnreadableLease } from './lease.js';
export type { Manifest, ManifestFile, ManifestFields } from './manifest.js';
export { StoreFault } from './store-fault.js';

export type LookupResult =
  | { status: 'hit'; manifest: Manifest; dir: string }
  | { status: 'miss' }
  | { status: 'corrupt'; reason: string; /** where the entry was moved aside */ quarantined?: string };

export interface Staging {
  key: Key;
  dir: string;
  outDir: string;
  logPath: string;
}

export interface StoreOptions {
  /** How far other machines' clocks may lag ours before their expired leases are broken (default 5 s). */
  clockSkewMs?: number;
  /** fsync each file's data before its entry becomes visible (default true), so that after a machine crash a
   *  visible entry has its bytes (journaled metadata keeps the rename ordered after the writes). The rename
   *  itself is not flushed: a publish lost in a crash is a miss. Tests on throwaway dirs may turn this off. */
  durable?: boolean;
}

export interface QuarantinedEntry {
  key: Key;
  dir: string;
  movedAt: number;
}

/** How many lookups touch the filesystem at once: enough to overlap I/O, few enough to never hit EMFILE. */
const IO_CONCURRENCY = 64;

export class Store {
  readonly layout: StoreLayout;
  private readonly leases: LeaseManager;
  private readonly io = new Limiter(IO_CONCURRENCY);
  private readonly durable: boolean;

  private constructor(readonly root: string, opts: StoreOptions) {
    this.layout = new StoreLayout(root);
    this.leases = new LeaseManager(this.layout.leases, { clockSkewMs: opts.clockSkewMs });
    this.durable = opts.durable ?? true;
  }

  /** Opens (creating if needed) the store at `root` and removes staging areas left by dead processes. */
  static async open(root: string, opts: StoreOptions = {}): Promise<Store> {
    const store = new Store(resolve(root), opts);
    const l = store.layout;
    for (const dir of [l.objects, l.staging, l.leases, l.quarantine, l.trash, l.byStage, l.scratch, join(l.root, INDEX_DIR)]) await fs.mkdir(
      dir,
      { recursive: true },
    );
    await store.cleanStaging();
    await cleanLeases(store.leases);
    return store;
  }

  entryDir(key: Key): string {
    return this.layout.entryDir(key);
  }

  /** Directory of an output port inside a published entry. */
  portPath(key: Key, port: string): string {
    if (!isSafeRelativePath(port) || port.includes('/')) throw new Error(`invalid output port name ${JSON.stringify(port)}`);
    return join(this.entryDir(key), ENTRY_OUT, port);
  }

  /**
   * The scratch directory of `key` (not created here): private working files of the node computing
   * the key, e.g. training checkpoints, kept across a crash or kill so that a re-run can resume.
   * Touch it only while holding the key's lease; publish() and gc remove it.
   */
  scratchDir(key: Key): string {
    return this.layout.scratchDir(key);
  }

  /** Removes the scratch directory of `key`, if any. The caller holds the key's lease. */
  async removeScratch(key: Key): Promise<void> {
    await removeTree(this.layout.scratchDir(key));
  }

  /** After a publish: the entry is visible already, so a scratch that cannot be removed is left to gc. */
  private async dropScratchOf(key: Key): Promise<void> {
    await this.removeScratch(key).catch(() => undefined);
  }

  /** Keys that have a scratch directory. */
  async scratchKeys(): Promise<Key[]> {
    return (await listDir(this.layout.scratch)).filter(isKey).sort();
  }

  /** The entry's stored log (replayed on a hit). */
  logPath(key: Key): string {
    return join(this.entryDir(key), ENTRY_LOG);
  }

  /**
   * Looks an entry up. 'stat' (default) compares size and mtime of every file with the manifest and
   * re-hashes only files whose stat differs; 'full' re-hashes everything; 'none' only reads the manifest.
   * A corrupt entry is moved to quarantine/ and reported, never returned as a hit.
   * A hit touches the entry's `used` file (its last-use time for gc).
   */
  async lookup(key: Key, opts: { verify?: 'none' | 'stat' | 'full' } = {}): Promise<LookupResult> {
    assertKey(key);
    return this.io.run(() => this.lookupNow(key, opts.verify ?? 'stat').catch((err) => { throw entryAccessFault(err, this.entryDir(key)); }));
  }

  /**
   * Looks many keys up at once, for planning. Keys absent from the store are found by listing the
   * shard folders once; present entries are checked with small synchronous reads and stats (cheap for
   * thousands of entries), and only an entry whose files look changed takes the full `lookup` path
   * (re-hash, quarantine). Hits here do not touch `used`: the run record that plans them records the use.
   *
   * With `index` (a recipe name), manifests come from that recipe's entry index when the manifest file
   * on disk is still the one indexed (same inode, size, mtime and ctime), so a plan reads one file
   * instead of one per entry; the index is then brought up to date with what this lookup found, and
   * keeps its records of entries this lookup did not ask about.
   */
  async lookupMany(keys: readonly Key[], opts: { verify?: 'none' | 'stat' | 'full'; index?: string } = {}): Promise<Map<Key, LookupResult>> {
    const verify = opts.verify ?? 'stat';
    const results = new Map<Key, LookupResult>();
    const index = opts.index !== undefined && verify !== 'full' ? this.entryIndex(opts.index) : undefined;
    const indexed = index?.read();
    const asked = new Set(keys);
    // Shards are listed to find absent keys without a stat each, and to drop index records of entries
    // gone from them. An indexed key needs no listing (the stat of its manifest says whether it is
    // there): with an index covering the recipe, a plan lists no folder.
    const shards = new Set<string>();
    for (const key of asked) if (!indexed?.entries.has(key)) shards.add(key.slice(0, 2));
    if (indexed) for (const key of indexed.entries.keys()) if (!asked.has(key)) shards.add(key.slice(0, 2));
    const present = new Set<string>();
    for (const shard of shards) {
      try {
        for (const name of readdirSync(join(this.layout.objects, shard))) present.add(name);
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    }
    // What this lookup learnt about the index: records no longer true, and entries read from their files.
    const stale = new Set<Key>();
    const found = new Map<Key, IndexedEntry>();
    const slow: Key[] = [];
    for (const key of asked) {
      const record = indexed?.entries.get(key);
      // An index holds valid keys only, so a key it has needs no check of its own.
      if (!record) assertKey(key);
      if (!record && !present.has(key)) { results.set(key, { status: 'miss' }); continue; }
      if (verify === 'full') { slow.push(key); continue; }
      // Plain concatenation: path.join's normalisation is measurable at 10^4 entries, and keys are hex.
      const dir = `${this.layout.objects}/${key.slice(0, 2)}/${key}`;
      const manifestPath = `${dir}/${ENTRY_MANIFEST}`;
      let manifest: Manifest | undefined;
      if (indexed) {
        const st = lstatSync(manifestPath, { throwIfNoEntry: false });
        const file = st?.isFile() ? st : undefined;
        if (record && file && isVersionOf(file, record)) manifest = record.manifest;
        else {
          if (record) stale.add(key);
          manifest = file && readIdentified(manifestPath, key, identityOf(file), found);
        }
      } else {
        try {
          manifest = parseManifest(readFileSync(manifestPath, 'utf8'), key);
        } catch { /* handled below */ }
      }
      // Missing or damaged manifest: the careful path reports and quarantines it.
      if (!manifest) { slow.push(key); continue; }
      if (verify === 'stat' && !statsMatch(`${dir}/${ENTRY_OUT}`, manifest)) { slow.push(key); continue; }
      results.set(key, { status: 'hit', manifest, dir });
    }
    for (const key of slow) results.set(key, await this.lookup(key, { verify }));
    if (index && indexed) {
      // Records this lookup did not ask about stay (a plan after an edit asks for none of the old
      // keys), unless their shard (listed above) no longer holds them: gone from the store.
      for (const key of indexed.entries.keys()) if (!asked.has(key) && !present.has(key)) stale.add(key);
      // An index that says what this lookup found is left as it is: a cached plan writes nothing.
      if (indexed.journalBytes > 0 || indexed.damaged > 0 || stale.size > 0 || found.size > 0) {
        const current = new Map<Key, IndexedEntry>();
        for (const [key, record] of indexed.entries) if (!stale.has(key)) current.set(key, record);
        for (const [key, entry] of found) current.set(key, entry);
        index.rewrite(current, indexed.journalBytes);
      }
    }
    return results;
  }

  /** The entry index of one recipe (see entry-index.ts). */
  private entryIndex(recipe: string): EntryIndex {
    return new EntryIndex(this.layout.root + '/' + INDEX_DIR, indexName(recipe), this.layout.objects);
  }

  private async lookupNow(key: Key, verify: 'none' | 'stat' | 'full'): Promise<LookupResult> {
    const dir = this.entryDir(key);
    let text: string;
    try {
      text = await fs.readFile(join(dir, ENTRY_MANIFEST), 'utf8');
    } catch (err) {
      if (errorCode(err) === 'EISDIR') return this.quarantine(key, dir, 'manifest.json is not a file');
      if (!isNotFound(err)) throw err;
      // Only the miss path pays for this extra stat: an entry directory without a manifest is damaged.
      const exists = await fs.stat(dir).then(() => true, () => false);
      return exists ? this.quarantine(key, dir, 'manifest.json is missing') : { status: 'miss' };
    }
    let manifest: Manifest;
    try {
      manifest = parseManifest(text, key);
    } catch (err) {
      return this.quarantine(key, dir, (err as Error).message);
    }
    if (verify !== 'none') {
      const problem = await entryProblem(dir, manifest, verify);
      if (problem) {
        // The whole entry may have been moved away meanwhile (gc, another process's quarantine): a plain miss.
        const stillThere = await fs.stat(join(dir, ENTRY_MANIFEST)).then(() => true, () => false);
        return stillThere ? this.quarantine(key, dir, problem) : { status: 'miss' };
      }
    }
    await this.touchUsed(dir);
    return { status: 'hit', manifest, dir };
  }

  private async touchUsed(dir: string): Promise<void> {
    const used = join(dir, ENTRY_USED);
    const now = new Date();
    try {
      await fs.utimes(used, now, now);
    } catch (err) {
      // First use; on a read-only store there is simply no last-use record.
      if (isNotFound(err)) await fs.writeFile(used, '').catch(() => undefined);
    }
  }

  private async quarantine(key: Key, dir: string, reason: string): Promise<LookupResult> {
    const target = join(this.layout.quarantine, `${key}@${Date.now()}@${randomId(4)}`);
    try {
      await fs.rename(dir, target);
    } catch (err) {
      if (isNotFound(err)) return { status: 'corrupt', reason }; // someone else moved it already
      throw err;
    }
    await fs.writeFile(join(target, 'QUARANTINE_REASON.txt'), reason + '\n').catch(() => undefined);
    return { status: 'corrupt', reason, quarantined: target };
  }

  /** A fresh staging area for computing `key`; invisible to lookups until publish. */
  async beginWrite(key: Key): Promise<Staging> {
    assertKey(key);
    const me = thisMachine();
    const dir = join(this.layout.staging, stagingName(key, me.host, me.bootId, process.pid));
    const outDir = join(dir, ENTRY_OUT);
    await fs.mkdir(outDir, { recursive: true });
    const logPath = join(dir, ENTRY_LOG);
    await fs.writeFile(logPath, '');
    return { key, dir, outDir, logPath };
  }

  /**
   * Hashes the staged files, makes them read-only, writes the manifest, then renames the staging
   * directory into place. If a valid entry for the key already exists (another process won the race),
   * keeps it, discards the staging area and returns the existing manifest. Either way the key's scratch
   * directory is removed: the caller holds the key's lease, and a published key needs no working files.
   * If it throws (e.g. an output is a dangling link), nothing is visible; call abort() to discard the staging area.
   */
  async publish(staging: Staging, fields: ManifestFields, opts: { replace?: boolean } = {}): Promise<Manifest> {
    const { key, dir } = staging;
    assertKey(key);
    if (resolve(dir, '..') !== this.layout.staging) throw new Error(`${dir} is not a staging area of the store at ${this.root}`);
    if (!(await fs.stat(dir).then((s) => s.isDirectory(), () => false))) {
      throw new Error(`staging area ${dir} no longer exists (already published or aborted)`);
    }
    await fs.mkdir(staging.outDir, { recursive: true });
    const files = await this.sealOutputs(staging.outDir);
    const ports = (await fs.readdir(staging.outDir, { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => d.name).sort();
    await fs.appendFile(staging.logPath, '');
    await fs.chmod(staging.logPath, 0o444);

    const manifest: Manifest = {
      formatVersion: 1,
      key,
      nodeId: fields.nodeId,
      stage: fields.stage,
      recipe: fields.recipe,
      plugin: fields.plugin,
      runId: fields.runId,
      startedAt: fields.startedAt,
      endedAt: fields.endedAt,
      createdAt: Date.now(),
      ...(fields.tracking ? { tracking: fields.tracking } : {}),
      ports,
      files,
      metrics: fields.metrics,
      keyStructure: fields.keyStructure,
    };
    await this.writeManifest(join(dir, ENTRY_MANIFEST), manifest);
    // The stage marker goes first: a crash after it leaves a dangling marker (ignored), never an unindexed entry.
    const stageDir = this.layout.stageIndexDir(manifest.stage);
    await fs.mkdir(stageDir, { recursive: true });
    await fs.writeFile(join(stageDir, key), '');

    const target = this.entryDir(key);
    await fs.mkdir(resolve(target, '..'), { recursive: true });
    for (let attempt = 0; attempt < 3; attempt++) {
      const placed = await fs.rename(dir, target).then(() => true, (err) => {
        if (errorCode(err) !== 'EEXIST' && errorCode(err) !== 'ENOTEMPTY') throw err;
        return false;
      });
      if (placed) {
        this.recordInIndex(key, manifest);
        await this.dropScratchOf(key);
        return manifest;
      }
      if (opts.replace) {
        // A forced recomputation: the caller holds the key's lease, so the old entry goes aside in one rename.
        await this.moveToTrash(key);
        continue;
      }
      const existing = await this.lookupNow(key, 'stat');
      if (existing.status === 'hit') {
        await removeTree(dir);
        await this.dropScratchOf(key);
        return existing.manifest;
      }
      // The existing entry was corrupt (now quarantined) or vanished: try the rename again.
    }
    throw new Error(`could not publish entry ${key}: its place in the store kept being taken`);
  }

  /** A published entry goes into its recipe's index journal, with the identity of its manifest file. */
  private recordInIndex(key: Key, manifest: Manifest): void {
    const st = lstatSync(this.layout.manifestPath(key), { throwIfNoEntry: false });
    if (st?.isFile()) this.entryIndex(manifest.recipe).append(key, { identity: identityOf(st), manifest });
  }

  private async writeManifest(path: string, manifest: Manifest): Promise<void> {
    await fs.rm(path, { force: true }); // left by an earlier publish attempt of this staging area that failed later
    const handle = await fs.open(path, 'wx', 0o444);
    try {
      await handle.writeFile(serializeManifest(manifest));
      if (this.durable) await handle.datasync();
    } finally {
      await handle.close();
    }
  }

  /** Lists, hashes and write-protects every output file. Symbolic links are replaced by copies of their
   *  targets: an entry must be self-contained, and a link could point at something that changes. */
  private async sealOutputs(outDir: string): Promise<ManifestFile[]> {
    const found: { abs: string; rel: string }[] = [];
    const walk = async (abs: string, rel: string): Promise<void> => {
      for (const entry of await fs.readdir(abs, { withFileTypes: true })) {
        const childAbs = join(abs, entry.name);
        const childRel = rel ? `${rel}/${entry.name}` : entry.name;
        let isDir = entry.isDirectory();
        let isFile = entry.isFile();
        if (entry.isSymbolicLink()) {
          const st = await materializeLink(childAbs, childRel);
          isDir = st.isDirectory();
          isFile = st.isFile();
        }
        if (isDir) await walk(childAbs, childRel);
        else if (isFile) found.push({ abs: childAbs, rel: childRel });
        else throw new Error(`output ${childRel} is neither a regular file nor a directory`);
      }
    };
    await walk(outDir, '');
    found.sort((a, b) => (a.rel < b.rel ? -1 : a.rel > b.rel ? 1 : 0));
    return mapLimit(found, 8, async ({ abs, rel }) => {
      const digest = await hashFile(abs, { sync: this.durable, makeReadOnly: true });
      return { path: rel, ...digest };
    });
  }

  /** Discards a staging area (failure, cancel): a failure is never cached. */
  async abort(staging: Staging): Promise<void> {
    if (resolve(staging.dir, '..') !== this.layout.staging) throw new Error(`${staging.dir} is not a staging area of the store at ${this.root}`);
    await removeTree(staging.dir);
  }

  /**
   * Removes staging areas whose writer is gone: on this machine, a dead pid; written on another
   * machine (whose pids we cannot check), only when untouched for `foreignOlderThanMs`.
   */
  async cleanStaging(opts: { foreignOlderThanMs?: number } = {}): Promise<string[]> {
    const me = thisMachine();
    const removed: string[] = [];
    for (const name of await listDir(this.layout.staging)) {
      const owner = parseStagingName(name);
      const dir = join(this.layout.staging, name);
      let stale = false;
      if (owner && owner.host === me.host && owner.boot === shortBoot(me.bootId)) stale = !isPidAlive(owner.pid);
      else if (opts.foreignOlderThanMs !== undefined) {
        const st = await fs.stat(dir).catch(() => undefined);
        stale = st !== undefined && Date.now() - st.mtimeMs > opts.foreignOlderThanMs;
      }
      if (stale) {
        await removeTree(dir);
        removed.push(name);
      }
    }
    return removed;
  }

  /**
   * Takes the per-key lease, or returns null when a live holder has it. A holder on this machine
   * whose pid is dead is expired at once; one on another machine after its ttl (default 60 s).
   */
  async tryLease(key: Key, opts: { ttlMs?: number } = {}): Promise<Lease | null> {
    assertKey(key);
    return this.leases.tryAcquire(key, opts.ttlMs ?? DEFAULT_TTL_MS);
  }

  /** Polls until the lease is acquired; rejects when `signal` aborts. */
  async waitLease(
    key: Key,
    opts: { ttlMs?: number; pollMs?: number; signal?: AbortSignal; onUnreadable?: (problem: UnreadableLease) => void } = {},
  ): Promise<Lease> {
    assertKey(key);
    return this.leases.waitAcquire(key, opts);
  }

  /** Runs `fn` under a store-wide named lock (e.g. for read-modify-write of pins.json). */
  async withLock<T>(name: string, fn: () => Promise<T>, opts: { signal?: AbortSignal } = {}): Promise<T> {
    const lease = await this.leases.waitAcquire(`_${name}`, { ttlMs: 30_000, pollMs: 20, signal: opts.signal });
    try {
      return await fn();
    } finally {
      await lease.release();
    }
  }

  /** Whether a live lease is held on `key` right now (by anyone, this process included). */
  async isLeased(key: Key): Promise<boolean> {
    return (await this.leases.inspect(key))?.live ?? false;
  }

  /** Reads an entry's manifest without verifying its files; undefined when missing or unreadable. */
  async readManifest(key: Key): Promise<Manifest | undefined> {
    assertKey(key);
    return this.io.run(async () => {
      try {
        return parseManifest(await fs.readFile(join(this.entryDir(key), ENTRY_MANIFEST), 'utf8'), key);
      } catch {
        return undefined;
      }
    });
  }

  /** Every published key (a directory scan: for gc, show and explain, not for the run loop). */
  async keys(): Promise<Key[]> {
    const keys: Key[] = [];
    for (const shard of await listDir(this.layout.objects)) {
      if (!/^[0-9a-f]{2}$/.test(shard)) continue;
      for (const name of await listDir(join(this.layout.objects, shard))) if (isKey(name) && name.startsWith(shard)) keys.push(name);
    }
    return keys.sort();
  }

  /** Keys starting with `prefix` (for users typing short keys). */
  async findKeys(prefix: string): Promise<Key[]> {
    if (!/^[0-9a-f]{2,64}$/.test(prefix)) return [];
    const names = await listDir(join(this.layout.objects, prefix.slice(0, 2)));
    return names.filter(isKey).filter((n) => n.startsWith(prefix)).sort();
  }

  /** Every published manifest (optionally one stage's), newest first. Unreadable entries are skipped. */
  async manifests(filter: { stage?: string } = {}): Promise<Manifest[]> {
    const keys =
      filter.stage === undefined
        ? await this.keys()
        : (await listDir(this.layout.stageIndexDir(filter.stage))).filter(isKey);
    const all = await mapLimit(keys, 32, (key) => this.readManifest(key));
    return all
      .filter((m): m is Manifest => m !== undefined && (filter.stage === undefined || m.stage === filter.stage))
      .sort((a, b) => b.createdAt - a.createdAt || (a.key < b.key ? -1 : 1));
  }

  /** Fully verifies every entry; with `quarantine`, also moves the corrupt ones aside. */
  async verifyAll(opts: { quarantine?: boolean } = {}): Promise<{ key: Key; ok: boolean; reason?: string }[]> {
    return mapLimit(await this.keys(), 8, async (key) => {
      const dir = this.entryDir(key);
      let reason: string | undefined;
      try {
        const manifest = parseManifest(await fs.readFile(join(dir, ENTRY_MANIFEST), 'utf8'), key);
        reason = await entryProblem(dir, manifest, 'full');
      } catch (err) {
        reason = isNotFound(err) ? 'manifest.json is missing' : (err as Error).message;
      }
      if (reason && opts.quarantine) await this.quarantine(key, dir, reason);
      return reason ? { key, ok: false, reason } : { key, ok: true };
    });
  }

  /** Last use of an entry: the `used` file's mtime, or createdAt when it was never hit. */
  async lastUsed(key: Key, manifest: Manifest): Promise<number> {
    const st = await fs.stat(join(this.entryDir(key), ENTRY_USED)).catch(() => undefined);
    return Math.max(manifest.createdAt, st?.mtimeMs ?? 0);
  }

  /** Bytes an entry occupies (its files, log and manifest). */
  async entrySize(key: Key, manifest: Manifest): Promise<number> {
    const dir = this.entryDir(key);
    const extra = await Promise.all([ENTRY_LOG, ENTRY_MANIFEST].map((f) => fs.stat(join(dir, f)).then((s) => s.size, () => 0)));
    return manifest.files.reduce((sum, f) => sum + f.size, 0) + extra[0]! + extra[1]!; // one size per file asked for
  }

  /**
   * Deletes an entry safely against concurrent users: skipped ('leased') while anyone holds its lease;
   * otherwise moved to trash/ in one rename (lookups then see a plain miss) and deleted from there.
   */
  async removeEntry(key: Key): Promise<'removed' | 'leased' | 'absent'> {
    const lease = await this.tryLease(key, { ttlMs: 5 * 60_000 });
    if (!lease) return 'leased';
    try {
      return (await this.moveToTrash(key)) ? 'removed' : 'absent';
    } finally {
      await lease.release();
    }
  }

  /** Moves an entry aside in one rename (lookups then see a plain miss) and deletes it. The caller holds the lease. */
  private async moveToTrash(key: Key): Promise<boolean> {
    const manifest = await this.readManifest(key);
    const aside = join(this.layout.trash, `${key}@${randomId(4)}`);
    try {
      await fs.rename(this.entryDir(key), aside);
    } catch (err) {
      if (isNotFound(err)) return false;
      throw err;
    }
    if (manifest) await fs.rm(join(this.layout.stageIndexDir(manifest.stage), key), { force: true });
    await removeTree(aside);
    return true;
  }

  /** Entries moved aside as corrupt, oldest first. */
  async quarantined(): Promise<QuarantinedEntry[]> {
    const list: QuarantinedEntry[] = [];
    for (const name of await listDir(this.layout.quarantine)) {
      const [key, time] = name.split('@');
      if (isKey(key) && /^\d+$/.test(time ?? '')) list.push({ key, dir: join(this.layout.quarantine, name), movedAt: Number(time) });
    }
    return list.sort((a, b) => a.movedAt - b.movedAt);
  }
}

/** Replaces a symbolic link in the outputs by a copy of what it points to. */
async function materializeLink(abs: string, rel: string): Promise<Stats> {
  let target: string;
  try {
    target = await fs.realpath(abs);
  } catch (err) {
    if (isNotFound(err)) throw new Error(`output ${rel} is a dangling symbolic link`, { cause: err });
    throw err;
  }
  const st = await fs.stat(target);
  await fs.unlink(abs);
  if (st.isDirectory()) await fs.cp(target, abs, { recursive: true, dereference: true });
  else await fs.copyFile(target, abs);
  return fs.lstat(abs);
}

/**
 * Reads and parses a manifest whose file had `identity` just before; records it in `into` when the
 * file is still the same one afterwards (a manifest replaced meanwhile is used, not indexed).
 */
function readIdentified(path: string, key: Key, identity: ManifestIdentity, into: Map<Key, IndexedEntry>): Manifest | undefined {
  let manifest: Manifest;
  try {
    manifest = parseManifest(readFileSync(path, 'utf8'), key);
  } catch {
    return undefined;
  }
  const entry = { identity, manifest };
  const after = lstatSync(path, { throwIfNoEntry: false });
  if (after?.isFile() && isVersionOf(after, entry)) into.set(key, entry);
  return manifest;
}

/** True when every file of the manifest has its recorded size and mtime, and every port folder exists. */
function statsMatch(out: string, manifest: Manifest): boolean {
  const files = manifest.files;
  for (const file of files) {
    const st = lstatSync(`${out}/${file.path}`, { throwIfNoEntry: false });
    if (!st || !st.isFile() || st.size !== file.size || !sameMtime(st.mtimeMs, file.mtimeMs)) return false;
  }
  // A port with a file in it exists if that file does; only an empty port needs its folder checked.
  for (const port of manifest.ports ?? []) {
    if (!holdsFile(files, port) && !statSync(`${out}/${port}`, { throwIfNoEntry: false })?.isDirectory()) return false;
  }
  return true;
}

/** Whether a file of the list lies inside the folder `port`. */
function holdsFile(files: ManifestFile[], port: string): boolean {
  for (const f of files) if (f.path.startsWith(port) && (f.path.length === port.length || f.path.charCodeAt(port.length) === 47 /* '/' */)) return true;
  return false;
}
