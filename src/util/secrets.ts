// Secret environment variables: their values are masked in node logs and messages, and the recipe
// may not interpolate them (a param lands in the key, the manifest and MLflow). Plugins read a
// secret through their declared `env` instead.

/** Always secret. */
export const KNOWN_SECRET_VARS = ['OPENAI_API_KEY', 'MLFLOW_TRACKING_PASSWORD', 'MLFLOW_TRACKING_TOKEN', 'HF_TOKEN'] as const;
/** Names more variables the user marks secret (separated by commas or spaces). */
export const SECRET_VARS_VAR = 'RETORT_SECRET_VARS';

const MASK = '***';
/** Shorter values would mask ordinary text. */
const MIN_SECRET_LENGTH = 4;

export function secretVarNames(env: NodeJS.ProcessEnv): string[] {
  const marked = (env[SECRET_VARS_VAR] ?? '').split(/[\s,]+/).filter(Boolean);
  return [...new Set([...KNOWN_SECRET_VARS, ...marked])];
}

export function isSecretVar(name: string, env: NodeJS.ProcessEnv): boolean {
  return secretVarNames(env).includes(name);
}

/** The values to mask: each secret variable's value, and the HTTP Basic credential MLflow's pair forms. */
export function secretValues(env: NodeJS.ProcessEnv): string[] {
  const values = secretVarNames(env).map((name) => env[name]).filter((v): v is string => typeof v === 'string');
  const { MLFLOW_TRACKING_USERNAME: user, MLFLOW_TRACKING_PASSWORD: pass } = env;
  if (user && pass) values.push(Buffer.from(`${user}:${pass}`).toString('base64'));
  return [...new Set(values)].filter((v) => v.length >= MIN_SECRET_LENGTH).sort((a, b) => b.length - a.length);
}

/** A masker for free text; the identity when there is nothing to mask. */
export function secretMasker(env: NodeJS.ProcessEnv): (text: string) => string {
  const values = secretValues(env);
  if (!values.length) return (text) => text;
  return (text) => {
    let out = text;
    for (const value of values) if (out.includes(value)) out = out.split(value).join(MASK);
    return out;
  };
}
