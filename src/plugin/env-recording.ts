// Which environment variables code reads while it runs: process.env is swapped for a proxy that
// notes every name looked up. Recordings may overlap (plugins load concurrently): each one sees
// every read made while it is open, which can only make it say more than its own code read.

/** Names read, or 'all' when the environment was enumerated (any variable may matter). */
export type EnvReads = Set<string> | 'all';

export interface EnvRecording {
  /** Ends this recording (restoring process.env when it is the last one open) and says what was read. */
  stop(): EnvReads;
}

interface Open { names: Set<string>; all: boolean }

const open = new Set<Open>();
let realEnv: NodeJS.ProcessEnv | undefined;

function note(name: string | symbol): void {
  if (typeof name === 'string') for (const r of open) r.names.add(name);
}

function noteAll(): void {
  for (const r of open) r.all = true;
}

export function startEnvRecording(): EnvRecording {
  const mine: Open = { names: new Set(), all: false };
  if (open.size === 0) {
    const target = process.env;
    realEnv = target;
    process.env = new Proxy(target, {
      get(t, name) { note(name); return Reflect.get(t, name); },
      has(t, name) { note(name); return Reflect.has(t, name); },
      getOwnPropertyDescriptor(t, name) { note(name); return Reflect.getOwnPropertyDescriptor(t, name); },
      ownKeys(t) { noteAll(); return Reflect.ownKeys(t); },
      set(t, name, value) { note(name); (t as Record<string | symbol, unknown>)[name] = value; return true; },
      deleteProperty(t, name) { note(name); return Reflect.deleteProperty(t, name); },
    });
  }
  open.add(mine);
  let stopped = false;
  return {
    stop() {
      if (!stopped) {
        stopped = true;
        open.delete(mine);
        if (open.size === 0 && realEnv) { process.env = realEnv; realEnv = undefined; }
      }
      return mine.all ? 'all' : new Set(mine.names);
    },
  };
}
