// Retry policy for MLflow requests: bounded attempts, exponential back-off with jitter, Retry-After honoured.
// Defaults are shorter than the Python client's (7 retries, factor 2 s, timeout 120 s) because a run
// must not stall for minutes before falling back to the spool.

export interface RetryPolicy {
  /** Total attempts per request, first one included (≥1). */
  maxAttempts: number;
  /** Delay before the 2nd attempt; doubles after each failure. */
  baseDelayMs: number;
  /** Upper bound of one back-off delay (a longer Retry-After is still honoured, up to MAX_RETRY_AFTER_MS). */
  maxDelayMs: number;
  /** A uniform random 0..jitterMs is added to each delay. */
  jitterMs: number;
  /** Per-attempt timeout (artifact uploads get UPLOAD_TIMEOUT_FACTOR times more). */
  timeoutMs: number;
  /** Longest time one operation spends retrying (its attempts and back-offs, requests its retries make
   *  included): no back-off starts that would end past it. Default DEFAULT_RETRY_BUDGET_MS. */
  budgetMs?: number;
}


/** 5 attempts with the default back-off (0.5, 1, 2, 4 s plus jitter) fit; a long Retry-After does not. */
export const DEFAULT_RETRY_BUDGET_MS = 15_000;

export const DEFAULT_RETRY: RetryPolicy = {
  maxAttempts: 5,
  baseDelayMs: 500,
  maxDelayMs: 30_000,
  jitterMs: 500,
  timeoutMs: 30_000,
  budgetMs: DEFAULT_RETRY_BUDGET_MS,
};

export const UPLOAD_TIMEOUT_FACTOR = 20;

/** A server that let two attempts time out is treated as down (each wait is a full timeout). */
export const MAX_TIMED_OUT_ATTEMPTS = 2;

/** The statuses MLflow's Python client retries (`_TRANSIENT_FAILURE_RESPONSE_CODES`). */
const RETRYABLE = new Set([408, 429, 500, 502, 503, 504]);

export function isRetryableStatus(status: number): boolean {
  return RETRYABLE.has(status);
}

/** The MLflow client's env knobs (MLFLOW_HTTP_REQUEST_*) override the defaults; explicit overrides win. */
export function retryPolicyFromEnv(env: NodeJS.ProcessEnv, overrides: Partial<RetryPolicy> = {}): RetryPolicy {
  const num = (name: string): number | undefined => {
    const raw = env[name];
    if (raw === undefined || raw.trim() === '') return undefined;
    const n = Number(raw);
    return Number.isFinite(n) && n >= 0 ? n : undefined;
  };
  const policy = { ...DEFAULT_RETRY };
  const retries = num('MLFLOW_HTTP_REQUEST_MAX_RETRIES');
  if (retries !== undefined) policy.maxAttempts = Math.floor(retries) + 1;
  const factor = num('MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR');
  if (factor !== undefined) policy.baseDelayMs = factor * 1000;
  const jitter = num('MLFLOW_HTTP_REQUEST_BACKOFF_JITTER');
  if (jitter !== undefined) policy.jitterMs = jitter * 1000;
  const timeout = num('MLFLOW_HTTP_REQUEST_TIMEOUT');
  if (timeout !== undefined && timeout > 0) policy.timeoutMs = timeout * 1000;
  const budget = num('RETORT_MLFLOW_RETRY_BUDGET');
  if (budget !== undefined) policy.budgetMs = budget * 1000;
  const merged = { ...policy, ...overrides };
  merged.maxAttempts = Math.max(1, Math.floor(merged.maxAttempts));
  return merged;
}

/** Retry-After is either delay-seconds or an HTTP date; returns milliseconds, or undefined if absent/unparseable. */
export function parseRetryAfter(header: string | null | undefined, now = Date.now()): number | undefined {
  if (!header) return undefined;
  const trimmed = header.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** A server's Retry-After is honoured up to this bound (a misconfigured proxy must not stall a run for hours). */
export const MAX_RETRY_AFTER_MS = 60_000;

/** Delay before attempt `failures + 1` (failures ≥ 1): exponential back-off, or the server's Retry-After if longer. */
export function backoffDelay(failures: number, policy: RetryPolicy, retryAfterMs?: number, random = Math.random): number {
  const exponential = Math.min(policy.baseDelayMs * 2 ** (failures - 1), policy.maxDelayMs);
  const base = retryAfterMs === undefined ? exponential : Math.max(exponential, Math.min(retryAfterMs, MAX_RETRY_AFTER_MS));
  return base + random() * policy.jitterMs;
}
