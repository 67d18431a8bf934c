// Keeping credentials out of everything Retort prints or stores: URLs lose their userinfo,
// Authorization values and known secret values are masked.
import { secretValues } from '../util/secrets.js';

const MASK = '***';
const SECRET_NAME = /TOKEN|SECRET|PASSWORD|PASSWD|KEY|CREDENTIAL|AUTH/i;
/** Shorter secrets would mask ordinary text; they are still kept out by not being printed at all. */
const MIN_SECRET_LENGTH = 4;

/** `https://user:pass@host/x` → `https://***@host/x` (for messages). */
export function redactUrl(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/@\s]*@/i, `$1${MASK}@`);
}

/** `https://user:pass@host/x` → `https://host/x` (for stored references that must stay usable). */
export function stripUserinfo(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/@\s]*@/i, '$1');
}

/** Masks, in free text: URL userinfo anywhere, Authorization header values, and the given secret values. */
export function redactText(text: string, secrets: readonly string[] = []): string {
  let out = text.replace(/([a-z][a-z0-9+.-]*:\/\/)[^/@\s'"]*@/gi, `$1${MASK}@`);
  out = out.replace(/(authorization["']?\s*[:=]\s*["']?)[^"'\r\n,}]*/gi, `$1${MASK}`);
  out = out.replace(/\b(Basic|Bearer)\s+[A-Za-z0-9+/=._~-]{4,}/g, `$1 ${MASK}`);
  const sorted = [...new Set(secrets)].filter((s) => s.length >= MIN_SECRET_LENGTH).sort((a, b) => b.length - a.length);
  for (const secret of sorted) out = out.split(secret).join(MASK);
  return out;
}

/** Secret values found in the MLflow environment (passwords, tokens, and the Basic credential they form). */
export function secretsFromEnv(env: NodeJS.ProcessEnv): string[] {
  const secrets: string[] = [];
  const { MLFLOW_TRACKING_USERNAME: user, MLFLOW_TRACKING_PASSWORD: pass, MLFLOW_TRACKING_TOKEN: token } = env;
  if (pass) secrets.push(pass);
  if (token) secrets.push(token);
  if (user && pass) secrets.push(Buffer.from(`${user}:${pass}`).toString('base64'));
  const uri = env.MLFLOW_TRACKING_URI;
  const userinfo = uri ? /^[a-z][a-z0-9+.-]*:\/\/([^/@\s]*)@/i.exec(uri)?.[1] : undefined;
  if (userinfo) {
    secrets.push(userinfo);
    const colon = userinfo.indexOf(':');
    if (colon >= 0) secrets.push(decodeURIComponent(userinfo.slice(colon + 1)));
  }
  for (const [name, value] of Object.entries(env)) {
    if (value && SECRET_NAME.test(name)) secrets.push(value);
  }
  secrets.push(...secretValues(env)); // variables the user marked secret (RETORT_SECRET_VARS)
  return secrets;
}

/** A printable copy of an environment: secret-looking names are masked, URLs lose their userinfo. */
export function redactEnv(env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of Object.keys(env).sort()) {
    const value = env[name];
    if (value === undefined) continue;
    out[name] = SECRET_NAME.test(name) ? MASK : redactUrl(value);
  }
  return out;
}
