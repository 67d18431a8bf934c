import { describe, expect, it } from 'vitest';
import { DEFAULT_RETRY, MAX_RETRY_AFTER_MS, backoffDelay, isRetryableStatus, parseRetryAfter, retryPolicyFromEnv } from '../../src/track/retry.js';

describe('retry policy', () => {
  it('retries the transient statuses only', () => {
    expect([408, 429, 500, 502, 503, 504].every(isRetryableStatus)).toBe(true);
    expect([400, 401, 403, 404, 409, 501].some(isRetryableStatus)).toBe(false);
  });

  it('backs off exponentially with jitter, bounded, and honours Retry-After', () => {
    const p = { ...DEFAULT_RETRY, baseDelayMs: 100, maxDelayMs: 1000, jitterMs: 50 };
    expect(backoffDelay(1, p, undefined, () => 0)).toBe(100);
    expect(backoffDelay(3, p, undefined, () => 0)).toBe(400);
    expect(backoffDelay(10, p, undefined, () => 0)).toBe(1000);
    expect(backoffDelay(1, p, undefined, () => 0.999)).toBeCloseTo(149.95);
    expect(backoffDelay(1, p, 5000, () => 0)).toBe(5000);
    expect(backoffDelay(1, p, 10 * MAX_RETRY_AFTER_MS, () => 0)).toBe(MAX_RETRY_AFTER_MS);
  });

  it('parses Retry-After seconds and HTTP dates', () => {
    expect(parseRetryAfter('2')).toBe(2000);
    const now = Date.parse('2025-01-01T00:00:00Z');
    expect(parseRetryAfter('Wed, 01 Jan 2025 00:00:03 GMT', now)).toBe(3000);
    expect(parseRetryAfter('soon')).toBeUndefined();
    expect(parseRetryAfter(null)).toBeUndefined();
  });

  it("reads MLflow's MLFLOW_HTTP_REQUEST_* variables", () => {
    const p = retryPolicyFromEnv({ MLFLOW_HTTP_REQUEST_MAX_RETRIES: '2', MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR: '0.1', MLFLOW_HTTP_REQUEST_TIMEOUT: '7' });
    expect(p.maxAttempts).toBe(3);
    expect(p.baseDelayMs).toBe(100);
    expect(p.timeoutMs).toBe(7000);
    expect(retryPolicyFromEnv({ MLFLOW_HTTP_REQUEST_MAX_RETRIES: '9' }, { maxAttempts: 1 }).maxAttempts).toBe(1);
  });
});
