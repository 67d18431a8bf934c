// The one error type of the MLflow client. It carries MLflow's error_code and the HTTP status, and its
// message never contains credentials (the transport redacts before constructing it).

/** Not MLflow codes: failures that never reached an MLflow answer. */
export type TransportErrorCode = 'NETWORK_ERROR' | 'TIMEOUT' | 'CONFIG_ERROR';

export class MlflowError extends Error {
  readonly errorCode: string;
  /** HTTP status, absent for network errors and timeouts. */
  readonly status?: number;
  /** `GET /api/2.0/mlflow/...` without host or query. */
  readonly endpoint?: string;

  constructor(errorCode: string, message: string, opts: { status?: number; endpoint?: string } = {}) {
    const where = opts.endpoint ? ` [${opts.status !== undefined ? `HTTP ${opts.status} ` : ''}${opts.endpoint}]` : '';
    super(`${errorCode}: ${message}${where}`);
    this.name = 'MlflowError';
    this.errorCode = errorCode;
    this.status = opts.status;
    this.endpoint = opts.endpoint;
  }

  /** The server was not reached or did not answer (worth spooling and replaying later). */
  get isUnreachable(): boolean {
    return this.errorCode === 'NETWORK_ERROR' || this.errorCode === 'TIMEOUT';
  }
}

/** The error_code MLflow's Python client assumes when a body is not MLflow JSON (proxies, basic-auth 401). */
export function errorCodeForStatus(status: number): string {
  switch (status) {
    case 400: return 'BAD_REQUEST';
    case 401: return 'UNAUTHENTICATED';
    case 403: return 'PERMISSION_DENIED';
    case 404: return 'ENDPOINT_NOT_FOUND';
    case 408: return 'DEADLINE_EXCEEDED';
    case 409: return 'RESOURCE_CONFLICT';
    case 429: return 'REQUEST_LIMIT_EXCEEDED';
    case 501: return 'NOT_IMPLEMENTED';
    case 503: return 'TEMPORARILY_UNAVAILABLE';
    case 504: return 'DEADLINE_EXCEEDED';
    default: return status >= 500 ? 'INTERNAL_ERROR' : 'BAD_REQUEST';
  }
}
