// Per-key leases: "I am computing this key until <expiresAt>", safe across processes and machines
// that share the store's filesystem (NFS included), without any global lock.
//
// Protocol (leases/<name>.lease holds a JSON LeaseRecord):
// - acquire: write the record to a private temp file, then link() it to the lease path; link fails
//   with EEXIST when a lease exists, and readers never see a half-written lease file.
// - expiry: a lease is expired when its holder ran on this machine (same host and boot id) and its
//   pid is dead, or when its expiry time has passed (plus a clock-skew margin for other machines).
// - take-over: exactly one contender may break a given expired lease, the one that creates
//   leases/<name>.break.<nonce> with O_EXCL; it re-checks the lease is still that one and renames its
//   own record over it.
// - heartbeat: the holder renews every ttl/3 by renaming a fresh record over its own. It gives the
//   lease up (lost = true) rather than renew when it is already close to expiry, because a
//   contender may be breaking it at that point.
// - release: rename the lease aside, then delete it if it is ours (put it back if it was not).
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { errorCode, isNotFound, isPidAlive, isThisMachine, randomId, sleep, thisMachine } from './fsutil.js';

export interface Lease {
  key: string;
  release(): Promise<void>;
  /** true once the lease could not be renewed (another process may now hold it). */
  readonly lost: boolean;
  /** Aborts when the lease is lost: stop the work it protected. */
  readonly signal: AbortSignal;
}

export interface LeaseRecord {
  v: 1;
  name: string;
  nonce: string;
  pid: number;
  host: string;
  bootId: string;
  acquiredAt: number;
  renewedAt: number;
  expiresAt: number;
  ttlMs: number;
}

export interface LeaseManagerOptions {
  /** How far another machine's clock may run behind ours; added before breaking its lease. */
  clockSkewMs?: number;
}

export const DEFAULT_TTL_MS = 60_000;

/** A lease file that is not a lease record (written by hand, truncated, or caught mid-write). */
export interface UnreadableLease { path: string; expiresInMs: number }
const DEFAULT_CLOCK_SKEW_MS = 5_000;
const LINK_UNSUPPORTED = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS', 'EXDEV']);

interface Observed {
  /** The record's nonce, or a stat-based identity for an unreadable lease file. */
  identity: string;
  record?: LeaseRecord;
  mtimeMs: number;
}

export class LeaseManager {
  private readonly clockSkewMs: number;
  private linkWorks = true;

  constructor(readonly dir: string, opts: LeaseManagerOptions = {}) {
    this.clockSkewMs = opts.clockSkewMs ?? DEFAULT_CLOCK_SKEW_MS;
  }

  leasePath(name: string): string {
    if (!/^[A-Za-z0-9_-][A-Za-z0-9._-]*$/.test(name)) throw new Error(`invalid lease name ${JSON.stringify(name)}`);
    return join(this.dir, `${name}.lease`);
  }

  /** The current lease on `name`, if any, and whether it is still live. */
  async inspect(name: string, ttlMs = DEFAULT_TTL_MS): Promise<{ record?: LeaseRecord; live: boolean } | undefined> {
    const seen = await this.observe(this.leasePath(name));
    return seen && { record: seen.record, live: !this.isExpired(seen, ttlMs) };
  }

  async tryAcquire(name: string, ttlMs = DEFAULT_TTL_MS): Promise<Lease | null> {
    if (!(ttlMs > 0)) throw new Error(`lease ttlMs must be positive, got ${ttlMs}`);
    const path = this.leasePath(name);
    const record = this.newRecord(name, ttlMs);
    const tmp = join(this.dir, `${name}.${record.nonce}.tmp`);
    await fs.writeFile(tmp, JSON.stringify(record), { flag: 'wx' });
    try {
      // A few rounds: the lease may vanish (released) between our failed create and our read.
      for (let round = 0; round < 5; round++) {
        if (await this.createExclusive(tmp, path, record)) return this.hold(record);
        const seen = await this.observe(path);
        if (!seen) continue;
        if (!this.isExpired(seen, ttlMs)) return null;
        return await this.breakAndTake(path, seen, tmp, record);
      }
      return null;
    } finally {
      await fs.rm(tmp, { force: true });
    }
  }

  /** `onUnreadable` hears once about a lease file that holds no valid record (waited on until it expires). */
  async waitAcquire(
    name: string,
    opts: { ttlMs?: number; pollMs?: number; signal?: AbortSignal; onUnreadable?: (problem: UnreadableLease) => void } = {},
  ): Promise<Lease> {
    const pollMs = opts.pollMs ?? 250;
    let reported = false;
    for (;;) {
      opts.signal?.throwIfAborted();
      const lease = await this.tryAcquire(name, opts.ttlMs);
      if (lease) return lease;
      if (opts.onUnreadable && !reported) {
        const path = this.leasePath(name);
        const seen = await this.observe(path);
        if (seen && !seen.record) {
          reported = true;
          const expiresInMs = Math.max(0, seen.mtimeMs + (opts.ttlMs ?? DEFAULT_TTL_MS) + this.clockSkewMs - Date.now());
          opts.onUnreadable({ path, expiresInMs });
        }
      }
      // Jitter keeps many waiters from polling in lock-step.
      await sleep(pollMs * (0.75 + Math.random() * 0.5), opts.signal);
    }
  }

  private newRecord(name: string, ttlMs: number): LeaseRecord {
    const now = Date.now();
    const me = thisMachine();
    return {
      v: 1,
      name,
      nonce: randomId(12),
      pid: process.pid,
      host: me.host,
      bootId: me.bootId,
      acquiredAt: now,
      renewedAt: now,
      expiresAt: now + ttlMs,
      ttlMs,
    };
  }

  /** Creates the lease file only if none exists. */
  private async createExclusive(tmp: string, path: string, record: LeaseRecord): Promise<boolean> {
    if (this.linkWorks) {
      try {
        await fs.link(tmp, path);
        return true;
      } catch (err) {
        if (errorCode(err) === 'EEXIST') return false;
        if (!LINK_UNSUPPORTED.has(errorCode(err) ?? '')) throw err;
        this.linkWorks = false; // e.g. a filesystem without hard links: fall back to O_EXCL
      }
    }
    try {
      await fs.writeFile(path, JSON.stringify(record), { flag: 'wx' });
      return true;
    } catch (err) {
      if (errorCode(err) === 'EEXIST') return false;
      throw err;
    }
  }

  private async breakAndTake(path: string, seen: Observed, tmp: string, record: LeaseRecord): Promise<Lease | null> {
    const breaker = join(this.dir, `${record.name}.break.${seen.identity}`);
    try {
      await fs.writeFile(breaker, record.nonce, { flag: 'wx' });
    } catch (err) {
      if (errorCode(err) === 'EEXIST') return null; // someone else is taking this expired lease over
      throw err;
    }
    const again = await this.observe(path);
    if (again?.identity !== seen.identity) {
      await fs.rm(breaker, { force: true });
      return null;
    }
    await fs.rename(tmp, path);
    const mine = await this.observe(path);
    if (mine?.identity !== record.nonce) return null;
    return this.hold(record, breaker);
  }

  private hold(record: LeaseRecord, breaker?: string): Lease {
    return new HeldLease(this, record, breaker);
  }

  /** Reads a lease file; undefined when there is none. */
  async observe(path: string): Promise<Observed | undefined> {
    let text: string;
    let mtimeMs: number;
    let ino: number;
    try {
      const handle = await fs.open(path, 'r');
      try {
        const st = await handle.stat();
        mtimeMs = st.mtimeMs;
        ino = st.ino;
        text = await handle.readFile('utf8');
      } finally {
        await handle.close();
      }
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
    const record = parseRecord(text);
    return record ? { identity: record.nonce, record, mtimeMs } : { identity: `x${ino}-${Math.floor(mtimeMs)}`, mtimeMs };
  }

  isExpired(seen: Observed, ttlMs: number): boolean {
    const now = Date.now();
    const r = seen.record;
    // An unreadable lease (only possible without link(), mid-write, or by hand) expires ttl after its last write.
    if (!r) return now > seen.mtimeMs + ttlMs + this.clockSkewMs;
    if (isThisMachine(r.host, r.bootId)) return !isPidAlive(r.pid) || now > r.expiresAt;
    return now > r.expiresAt + this.clockSkewMs;
  }
}

export function parseRecord(text: string): LeaseRecord | undefined {
  try {
    const r = JSON.parse(text) as Partial<LeaseRecord>;
    const ok =
      r && r.v === 1 && typeof r.nonce === 'string' && /^[0-9a-f]{8,64}$/.test(r.nonce) &&
      typeof r.pid === 'number' && typeof r.host === 'string' && typeof r.expiresAt === 'number' && typeof r.ttlMs === 'number';
    return ok ? (r as LeaseRecord) : undefined;
  } catch {
    return undefined;
  }
}

class HeldLease implements Lease {
  readonly key: string;
  private readonly controller = new AbortController();
  private readonly timer: NodeJS.Timeout;
  private released = false;
  private renewing: Promise<void> | undefined;
  private readonly path: string;

  constructor(private readonly manager: LeaseManager, private record: LeaseRecord, private readonly breaker?: string) {
    this.key = record.name;
    this.path = manager.leasePath(record.name);
    this.timer = setInterval(() => {
      this.renewing ??= this.renew().finally(() => (this.renewing = undefined));
    }, Math.max(1, Math.floor(record.ttlMs / 3)));
    this.timer.unref(); // a held lease must not keep the process alive on its own
  }

  get lost(): boolean {
    return this.controller.signal.aborted;
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  private markLost(why: string): void {
    clearInterval(this.timer);
    if (!this.lost) this.controller.abort(Object.assign(new Error(`lease on ${this.key} lost: ${why}`), { name: 'LeaseLostError' }));
  }

  private async renew(): Promise<void> {
    if (this.released || this.lost) return;
    const { ttlMs, expiresAt } = this.record;
    const tooLate = () => Date.now() >= expiresAt - ttlMs / 10;
    try {
      const seen = await this.manager.observe(this.path);
      if (seen?.identity !== this.record.nonce) return this.markLost('the lease file was replaced or removed');
      if (tooLate()) return this.markLost('the heartbeat ran too late to renew safely');
      const now = Date.now();
      const next = { ...this.record, renewedAt: now, expiresAt: now + ttlMs };
      const tmp = join(this.manager.dir, `${this.key}.${next.nonce}.renew.tmp`);
      await fs.writeFile(tmp, JSON.stringify(next));
      if (this.released) return void (await fs.rm(tmp, { force: true }));
      await fs.rename(tmp, this.path);
      this.record = next;
    } catch (err) {
      // A transient filesystem error is retried at the next beat, unless the lease is about to expire.
      if (tooLate()) this.markLost(`renewal failed (${(err as Error).message})`);
    }
  }

  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    clearInterval(this.timer);
    await this.renewing;
    const aside = join(this.manager.dir, `${this.key}.${this.record.nonce}.released`);
    try {
      await fs.rename(this.path, aside);
      const seen = await this.manager.observe(aside);
      // If the file was not ours (we had lost the lease), put it back for its holder unless a newer one exists.
      if (seen && seen.identity !== this.record.nonce) await fs.link(aside, this.path).catch(() => undefined);
      await fs.rm(aside, { force: true });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    } finally {
      if (this.breaker) await fs.rm(this.breaker, { force: true });
    }
  }
}
