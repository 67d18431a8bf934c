// HTTP for the MLflow client: global fetch, auth header, TLS dispatcher, retries with back-off, and
// errors turned into MlflowError with every credential redacted.

import { authorizationHeader } from './auth.js';
import { MlflowError, errorCodeForStatus } from './mlflow-error.js';
import { redactText, redactUrl, secretsFromEnv, stripUserinfo } from './redact.js';
import { AsyncLocalStorage } from 'node:async_hooks';
import { DEFAULT_RETRY_BUDGET_MS, MAX_TIMED_OUT_ATTEMPTS, UPLOAD_TIMEOUT_FACTOR, backoffDelay, isRetryableStatus, parseRetryAfter, type RetryPolicy } from './retry.js';

/** Set while a request's beforeRetry runs: requests made inside it are not retried on their own. */
const preparingRetry = new AsyncLocalStorage<true>();

export interface TransportOptions {
  /** Tracking URI, http(s); may carry userinfo (used as Basic auth when no env credentials). */
  trackingUri: string;
  env: NodeJS.ProcessEnv;
  retry: RetryPolicy;
  /** undici dispatcher for custom TLS (see tls.ts). */
  dispatcher?: object;
  fetchImpl?: typeof fetch;
  sleep?: (ms: number) => Promise<void>;
  /** The clock the retry budget is measured on (tests pass a fake one with a fake sleep). */
  now?: () => number;
}

export interface HttpRequest {
  method: 'GET' | 'POST' | 'PUT';
  /** Path below the tracking URI (starting with '/'), or an absolute URL on the same credentials. */
  path: string;
  query?: Record<string, string | number | boolean | string[] | undefined>;
  /** JSON body; a function is re-evaluated before each attempt. */
  json?: unknown | (() => unknown);
  /** Raw body factory (one fresh body per attempt, e.g. a file stream). */
  body?: () => { body: BodyInit; contentType: string; contentLength?: number };
  /**
   * Runs before each retry; may change what `json` returns, or return a response to use instead of
   * sending again (the earlier attempt turned out to have been applied). A throw counts as a failed attempt.
   */
  beforeRetry?: () => Promise<unknown>;
}

export class HttpTransport {
  /** Tracking URI without userinfo, for references and messages. */
  readonly baseUrl: string;
  private readonly authorization?: string;
  private readonly secrets: string[];
  private readonly fetchImpl: typeof fetch;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly now: () => number;
  /** Requests sent (attempts included); lets callers report what a sync did. */
  requestCount = 0;

  constructor(private readonly opts: TransportOptions) {
    this.baseUrl = stripUserinfo(opts.trackingUri).replace(/\/+$/, '');
    this.authorization = authorizationHeader(opts.env, opts.trackingUri);
    this.secrets = secretsFromEnv({ ...opts.env, MLFLOW_TRACKING_URI: opts.trackingUri });
    this.fetchImpl = opts.fetchImpl ?? fetch;
    this.sleep = opts.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
    this.now = opts.now ?? Date.now;
  }

  /** Redacts credentials from any text this transport might echo. */
  redact(text: string): string {
    return redactText(text, this.secrets);
  }

  async request(req: HttpRequest): Promise<unknown> {
    const url = this.url(req.path, req.query);
    const endpoint = `${req.method} ${new URL(url).pathname}`;
    // A request made while another prepares its retry (metrics/get-history inside a retried log-batch)
    // gets one attempt: retrying it too would multiply the attempts, and the outer budget covers it.
    if (preparingRetry.getStore()) {
      try {
        return await this.once(req, url, endpoint);
      } catch (e) {
        throw e instanceof AttemptFailure ? e.error : this.toError(e, endpoint);
      }
    }
    const policy = this.opts.retry;
    const deadline = this.now() + (policy.budgetMs ?? DEFAULT_RETRY_BUDGET_MS);
    /** The next back-off, unless it would end past the operation's budget (then the caller spools). */
    const backOff = async (delay: number, err: MlflowError) => {
      if (this.now() + delay > deadline) throw err;
      await this.sleep(delay);
    };
    let lastError: MlflowError | undefined;
    let timeouts = 0;
    for (let attempt = 1; attempt <= policy.maxAttempts; attempt++) {
      if (attempt > 1 && req.beforeRetry) {
        try {
          const settled = await preparingRetry.run(true, req.beforeRetry);
          if (settled !== undefined) return settled;
        } catch (e) {
          lastError = this.toError(e, endpoint);
          if (attempt === policy.maxAttempts) throw lastError;
          await backOff(backoffDelay(attempt - 1, policy), lastError);
          continue;
        }
      }
      let retryAfter: number | undefined;
      try {
        return await this.once(req, url, endpoint);
      } catch (e) {
        const err = e instanceof AttemptFailure ? e.error : this.toError(e, endpoint);
        retryAfter = e instanceof AttemptFailure ? e.retryAfterMs : undefined;
        lastError = err;
        if (err.errorCode === 'TIMEOUT') timeouts++;
        const retryable = err.isUnreachable || (err.status !== undefined && isRetryableStatus(err.status));
        if (!retryable || attempt === policy.maxAttempts || timeouts >= MAX_TIMED_OUT_ATTEMPTS) throw err;
      }
      await backOff(backoffDelay(attempt, policy, retryAfter), lastError);
    }
    throw lastError ?? new MlflowError('NETWORK_ERROR', 'no attempt made', { endpoint });
  }

  private async once(req: HttpRequest, url: string, endpoint: string): Promise<unknown> {
    const headers: Record<string, string> = { 'User-Agent': 'retort-mlflow-client' };
    if (this.authorization) headers.Authorization = this.authorization;
    let body: BodyInit | undefined;
    let streamed = false;
    if (req.body) {
      const made = req.body();
      body = made.body;
      headers['Content-Type'] = made.contentType;
      if (made.contentLength !== undefined) headers['Content-Length'] = String(made.contentLength);
      streamed = typeof (made.body as { getReader?: unknown }).getReader === 'function';
    } else if (req.json !== undefined) {
      const value = typeof req.json === 'function' ? (req.json as () => unknown)() : req.json;
      body = typeof value === 'string' ? value : JSON.stringify(value);
      headers['Content-Type'] = 'application/json';
    }
    this.requestCount++;
    const init: RequestInit & { dispatcher?: object; duplex?: 'half' } = {
      method: req.method,
      headers,
      body,
      signal: AbortSignal.timeout(this.opts.retry.timeoutMs * (req.body ? UPLOAD_TIMEOUT_FACTOR : 1)),
    };
    if (streamed) init.duplex = 'half';
    if (this.opts.dispatcher) init.dispatcher = this.opts.dispatcher;
    const res = await this.fetchImpl(url, init);
    const text = await res.text();
    if (res.ok) {
      if (text.trim() === '') return {};
      try {
        return JSON.parse(text);
      } catch {
        return text;
      }
    }
    throw new AttemptFailure(this.httpError(res.status, text, endpoint), parseRetryAfter(res.headers.get('retry-after')));
  }

  private httpError(status: number, text: string, endpoint: string): MlflowError {
    let code = errorCodeForStatus(status);
    let message = `request failed with HTTP ${status}: ${text.slice(0, 500)}`;
    try {
      const parsed = JSON.parse(text) as { error_code?: unknown; message?: unknown };
      if (parsed && typeof parsed === 'object' && typeof parsed.error_code === 'string') {
        code = parsed.error_code;
        message = typeof parsed.message === 'string' ? parsed.message : '';
      }
    } catch {
      // Plain-text bodies (basic-auth 401, proxies) keep the status-derived code.
    }
    return new MlflowError(code, this.redact(message), { status, endpoint });
  }

  private toError(e: unknown, endpoint: string): MlflowError {
    if (e instanceof MlflowError) return e;
    const err = e as Error & { cause?: { code?: string; message?: string } };
    if (err?.name === 'TimeoutError' || err?.name === 'AbortError') {
      return new MlflowError('TIMEOUT', `no answer from ${redactUrl(this.baseUrl)} within ${this.opts.retry.timeoutMs} ms`, { endpoint });
    }
    const cause = err?.cause?.code ?? err?.cause?.message ?? '';
    const detail = [err?.message, cause].filter(Boolean).join(': ');
    return new MlflowError('NETWORK_ERROR', this.redact(`cannot reach ${this.baseUrl} (${detail})`), { endpoint });
  }

  private url(path: string, query?: HttpRequest['query']): string {
    let url: URL;
    try {
      url = new URL(/^https?:\/\//i.test(path) ? stripUserinfo(path) : this.baseUrl + path);
    } catch {
      throw new MlflowError('CONFIG_ERROR', `invalid MLflow URL ${redactUrl(this.baseUrl + (path.startsWith('/') ? path : ''))}`);
    }
    for (const [key, value] of Object.entries(query ?? {})) {
      if (value === undefined) continue;
      for (const v of Array.isArray(value) ? value : [value]) url.searchParams.append(key, String(v));
    }
    return url.toString();
  }
}

/** An HTTP failure plus the server's Retry-After, carried from one attempt to the retry loop. */
class AttemptFailure extends Error {
  constructor(readonly error: MlflowError, readonly retryAfterMs?: number) {
    super(error.message);
  }
}
