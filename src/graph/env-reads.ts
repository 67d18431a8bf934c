// Which environment variables a compile reads: the env it is given is wrapped in a proxy that notes
// each name looked up, so a cached compile can be checked against the values it depended on.

export interface EnvReads {
  /** The environment to hand to the code being watched. */
  env: NodeJS.ProcessEnv;
  /** Each name read and the value it had then (null: unset). */
  read: Map<string, string | null>;
  /** True once something listed the variables: any of them may then matter. */
  enumerated(): boolean;
}

export function watchEnvReads(env: NodeJS.ProcessEnv): EnvReads {
  const read = new Map<string, string | null>();
  let listed = false;
  const note = (name: string | symbol) => {
    if (typeof name === 'string' && !read.has(name)) read.set(name, env[name] ?? null);
  };
  const proxy = new Proxy(env, {
    get(target, name) { note(name); return Reflect.get(target, name); },
    has(target, name) { note(name); return Reflect.has(target, name); },
    getOwnPropertyDescriptor(target, name) { note(name); return Reflect.getOwnPropertyDescriptor(target, name); },
    ownKeys(target) { listed = true; return Reflect.ownKeys(target); },
  });
  return { env: proxy, read, enumerated: () => listed };
}

/** Whether every recorded variable still has the value it had. */
export function sameEnv(recorded: Record<string, string | null>, env: NodeJS.ProcessEnv): boolean {
  for (const [name, value] of Object.entries(recorded)) if ((env[name] ?? null) !== value) return false;
  return true;
}
