// The Authorization header MLflow clients send. Precedence follows MLflow's Python code
// (get_default_host_creds + http_request): username+password (Basic) wins over the token (Bearer);
// credentials embedded in the tracking URI are the last resort (fetch refuses URLs with userinfo).

export function authorizationHeader(env: NodeJS.ProcessEnv, trackingUri?: string): string | undefined {
  const user = env.MLFLOW_TRACKING_USERNAME;
  const pass = env.MLFLOW_TRACKING_PASSWORD;
  if (user && pass) return basic(user, pass);
  const token = env.MLFLOW_TRACKING_TOKEN;
  if (token) return `Bearer ${token}`;
  if (trackingUri) {
    try {
      const url = new URL(trackingUri);
      if (url.username || url.password) {
        return basic(decodeURIComponent(url.username), decodeURIComponent(url.password));
      }
    } catch {
      // Not a URL: no embedded credentials.
    }
  }
  return undefined;
}

function basic(user: string, pass: string): string {
  return `Basic ${Buffer.from(`${user}:${pass}`, 'utf8').toString('base64')}`;
}
