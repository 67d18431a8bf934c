// Where a run's artifacts go, from its artifact_uri (MLflow's mlflow_artifacts_repo.resolve_uri):
// `mlflow-artifacts:[//host:port]/<path>` → `{tracking}/api/2.0/mlflow-artifacts/artifacts/<path>`,
// http(s) URIs as they are, `file:` URIs and plain paths as a local directory.

import { fileURLToPath } from 'node:url';

export type ArtifactTarget =
  | { kind: 'http'; baseUrl: string }
  | { kind: 'file'; dir: string }
  | { kind: 'unsupported'; scheme: string };

const PROXY_PREFIX = '/api/2.0/mlflow-artifacts/artifacts';

export function resolveArtifactTarget(trackingUrl: string, artifactUri: string): ArtifactTarget {
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(artifactUri)?.[1]?.toLowerCase();
  if (scheme === 'mlflow-artifacts') {
    const tracking = new URL(trackingUrl);
    const rest = artifactUri.slice('mlflow-artifacts:'.length);
    let netloc = tracking.host;
    let path = rest;
    if (rest.startsWith('//')) {
      const end = rest.indexOf('/', 2);
      const host = end < 0 ? rest.slice(2) : rest.slice(2, end);
      if (host) netloc = host;
      path = end < 0 ? '' : rest.slice(end);
    }
    const trackingPath = tracking.pathname.replace(/\/+$/, '');
    const joined = `${trackingPath}${PROXY_PREFIX}/${path}`.replace(/\/{2,}/g, '/').replace(/\/+$/, '');
    return { kind: 'http', baseUrl: `${tracking.protocol}//${netloc}${joined}` };
  }
  if (scheme === 'http' || scheme === 'https') return { kind: 'http', baseUrl: artifactUri.replace(/\/+$/, '') };
  if (scheme === 'file') return { kind: 'file', dir: fileURLToPath(artifactUri) };
  if (scheme === undefined || /^[a-z]$/i.test(scheme)) return { kind: 'file', dir: artifactUri };
  return { kind: 'unsupported', scheme };
}

/** Joins an artifact path to a base URL, encoding each segment. */
export function artifactUrl(baseUrl: string, artifactPath: string): string {
  const encoded = artifactPath.split('/').filter(Boolean).map(encodeURIComponent).join('/');
  return `${baseUrl}/${encoded}`;
}

const MIME: Record<string, string> = {
  txt: 'text/plain', log: 'text/plain', md: 'text/markdown', json: 'application/json', jsonl: 'application/x-ndjson',
  yaml: 'text/yaml', yml: 'text/yaml', csv: 'text/csv', tsv: 'text/tab-separated-values', html: 'text/html',
  png: 'image/png', jpg: 'image/jpeg', jpeg: 'image/jpeg', svg: 'image/svg+xml', pdf: 'application/pdf',
};

/** Content-Type guessed from the file name, as MLflow's HTTP artifact repo does. */
export function guessContentType(path: string): string {
  const ext = /\.([a-z0-9]+)$/i.exec(path)?.[1]?.toLowerCase();
  return (ext && MIME[ext]) || 'application/octet-stream';
}
