// Compiled JSON Schema validators kept between runs as ajv's standalone code: compiling the recipe
// schema and the plugins' params schemas is, once plugin code is no longer imported, most of the
// CPU time of a run whose nodes are all cached. An entry is the code ajv generated for exactly this
// schema text and these options, under this ajv version; code that fails to load is compiled again.
import { mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { sha256Hex } from '../util/canonical.js';

const require = createRequire(import.meta.url);
const FORMAT = 1;

interface CacheFile { format: number; ajv: string; code: Record<string, string> }

export type Validator = ((data: unknown) => boolean) & { errors?: unknown[] | null };

function ajvVersion(): string {
  return (require('ajv/package.json') as { version: string }).version;
}

export class ValidatorCache {
  private code: Record<string, string> = {};
  private readonly used = new Set<string>();
  private dirty = false;

  private constructor(readonly file: string, private readonly ajv: string) {}

  static open(file: string): ValidatorCache {
    const cache = new ValidatorCache(file, ajvVersion());
    // The file holds code that is run: only a file of this user's that no one else may write is read.
    if (!writableOnlyByMe(file)) return cache;
    try {
      const parsed = JSON.parse(readFileSync(file, 'utf8')) as CacheFile;
      if (parsed?.format === FORMAT && parsed.ajv === cache.ajv && parsed.code) cache.code = parsed.code;
    } catch { /* no cache yet */ }
    return cache;
  }

  /** The entry's name: the options and the schema's exact text (key order can change error order). */
  static keyOf(options: string, schema: object): string {
    return sha256Hex(`${options}\n${JSON.stringify(schema)}`);
  }

  /** The stored validator, or undefined (none, or its code no longer loads). */
  load(key: string): Validator | undefined {
    const code = this.code[key];
    if (code === undefined) return undefined;
    try {
      const mod: { exports: { default?: Validator } & Validator } = { exports: {} as never };
      new Function('require', 'module', 'exports', code)(require, mod, mod.exports);
      const fn = mod.exports.default ?? mod.exports;
      if (typeof fn !== 'function') return undefined;
      this.used.add(key);
      return fn;
    } catch {
      return undefined;
    }
  }

  remember(key: string, code: string): void {
    this.code[key] = code;
    this.used.add(key);
    this.dirty = true;
  }

  /** Writes the entries this process used (old schemas drop out), if anything was added. */
  save(): void {
    if (!this.dirty) return;
    const code = Object.fromEntries([...this.used].map((k) => [k, this.code[k]!]));
    const body: CacheFile = { format: FORMAT, ajv: this.ajv, code };
    const tmp = `${this.file}.${process.pid}.tmp`;
    try {
      mkdirSync(dirname(this.file), { recursive: true, mode: 0o700 });
      writeFileSync(tmp, JSON.stringify(body), { mode: 0o600 });
      renameSync(tmp, this.file);
    } catch {
      // A cache that cannot be written (full disk, read-only home) only costs the next run time.
      try { rmSync(tmp, { force: true }); } catch { /* its folder is not there either */ }
    }
    this.dirty = false;
  }
}

/** True for a file owned by this user that neither its group nor others may write. */
function writableOnlyByMe(file: string): boolean {
  try {
    const st = statSync(file);
    const uid = process.getuid?.();
    return (uid === undefined || st.uid === uid) && (st.mode & 0o022) === 0;
  } catch {
    return false;
  }
}
