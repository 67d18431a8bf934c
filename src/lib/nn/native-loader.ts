// Loads one of the optional native addons that `npm install` builds next to their sources. Their
// absence is normal: callers fall back and can say why. `<offVar>=1` leaves one out on purpose
// (tests of the fallback paths); `<pathVar>=<file>` points at a build elsewhere.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export type AddonStatus<T> = { ok: true; addon: T; path: string } | { ok: false; reason: string };

export interface AddonSpec<T> {
  /** The addon's folder under src/lib/nn (its sources in `<folder>/native`, the build in `<folder>/native/build`). */
  folder: string;
  file: string;
  offVar: string;
  pathVar: string;
  /** What building it needs, for the reason given when it is not built. */
  needs: string;
  /** Runs once after loading (a failure counts as a failed load). */
  init?(addon: T): void;
}

const require = createRequire(import.meta.url);

/** Where the build script puts it: next to this module's source, also when compiled code runs from dist/. */
function candidatePaths(folder: string, file: string): string[] {
  const here = dirname(fileURLToPath(import.meta.url));
  const out = [join(here, folder, 'native', 'build', file)];
  for (let dir = here, i = 0; i < 8; i++, dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) {
      out.push(join(dir, 'src', 'lib', 'nn', folder, 'native', 'build', file));
      break;
    }
  }
  return out;
}

/** A loader that tries once per process (the off switch is read on every call). */
export function addonLoader<T>(spec: AddonSpec<T>): () => AddonStatus<T> {
  let cached: AddonStatus<T> | undefined;
  const load = (): AddonStatus<T> => {
    const custom = process.env[spec.pathVar];
    const path = (custom ? [custom] : candidatePaths(spec.folder, spec.file)).find((p) => existsSync(p));
    if (path === undefined) return { ok: false, reason: `addon not built (needs ${spec.needs} at npm install)` };
    try {
      const addon = require(path) as T;
      spec.init?.(addon);
      return { ok: true, addon, path };
    } catch (e) {
      return { ok: false, reason: `addon failed to load: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}` };
    }
  };
  return () => {
    if (process.env[spec.offVar] === '1') return { ok: false, reason: `disabled by ${spec.offVar}=1` };
    cached ??= load();
    return cached;
  };
}
