// Connects `retort run` to the trackers (MLflow REST or the local store).
import type { CompiledRecipe } from '../graph/types.js';
import type { KilledRun } from '../track/index.js';
import { NoopObserver } from '../track/noop-observer.js';
import type { RunObserver, TrackConfig } from '../track/observer.js';

// Loaded lazily: tracking code is only needed by `retort run`.
const TRACK_MODULE = '../track/index.js';
type TrackModule = Partial<typeof import('../track/index.js')>;
const loadTrack = () => import(TRACK_MODULE).catch(() => undefined) as Promise<TrackModule | undefined>;
// A run that does not track only looks at the spool: the MLflow backends are not loaded for it.
const SPOOL_MODULE = '../track/spool-journal.js';
type SpoolModule = Partial<typeof import('../track/spool-journal.js')>;
const loadSpool = () => import(SPOOL_MODULE).catch(() => undefined) as Promise<SpoolModule | undefined>;

/** The `track:` section of the recipe, with --track / --no-track on top. */
export function trackConfigOf(recipe: CompiledRecipe, flags: { track?: boolean; noTrack?: boolean }): TrackConfig {
  return {
    enabled: flags.noTrack ? false : flags.track ? true : recipe.track.enabled ?? true,
    uri: recipe.track.uri,
    experiment: recipe.track.experiment ?? recipe.name,
    tags: recipe.track.tags,
  };
}

/** What `retort run` needs of tracking: the observer, where it logs, and how to close a dead run's runs. */
export interface RunTracking {
  observer: RunObserver;
  target?: string;
  closeKilledRun(killed: KilledRun): Promise<number | undefined>;
}

/** The run's tracker; warns (once, up front) when records are still waiting in the spool. */
export async function openTracking(track: TrackConfig, opts: { runsDir: string; env: NodeJS.ProcessEnv; warn: (msg: string) => void }): Promise<RunTracking> {
  const observer = track.enabled ? await createRunObserver(track, opts) : new NoopObserver();
  const spoolWarning = await pendingSpoolWarning(opts.runsDir, track.enabled ? loadTrack : loadSpool);
  if (spoolWarning) opts.warn(spoolWarning);
  return {
    observer,
    target: track.enabled ? await trackingTarget(track, opts.runsDir, opts.env) : undefined,
    closeKilledRun: (killed) => closeKilledRuns(killed, { config: track, runsDir: opts.runsDir, env: opts.env }),
  };
}

export async function createRunObserver(track: TrackConfig,
  opts: { runsDir: string; env: NodeJS.ProcessEnv; warn: (msg: string) => void; now?: () => number }): Promise<RunObserver> {
  const mod = await loadTrack();
  if (mod?.createTracker) return mod.createTracker(track, opts);
  return new NoopObserver();
}

export async function pendingSpoolWarning(runsDir: string,
  load: () => Promise<Pick<TrackModule, 'pendingSpool'> | undefined> = loadTrack): Promise<string | undefined> {
  const mod = await load();
  const n = mod?.pendingSpool ? await mod.pendingSpool(runsDir) : 0;
  return n > 0 ? `${n} tracking record${n === 1 ? '' : 's'} waiting in the spool: run \`retort mlflow sync\` to deliver them` : undefined;
}

export async function trackingTarget(track: TrackConfig, runsDir: string, env: NodeJS.ProcessEnv): Promise<string | undefined> {
  return (await loadTrack())?.trackingTarget?.(track, runsDir, env);
}

/** Sets the MLflow runs of a killed Retort run to KILLED where that can be done; how many changed. */
export async function closeKilledRuns(killed: KilledRun,
  current: { config: TrackConfig; runsDir: string; env: NodeJS.ProcessEnv }): Promise<number | undefined> {
  return (await loadTrack())?.closeKilledRuns?.(killed, current);
}
