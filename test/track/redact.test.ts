import { describe, expect, it } from 'vitest';
import { redactEnv, redactText, redactUrl, secretsFromEnv, stripUserinfo } from '../../src/track/redact.js';

describe('redaction', () => {
  it('masks secret-looking variables and URL credentials in printed configs', () => {
    const env = {
      MLFLOW_TRACKING_URI: 'https://bob:pw123@mlflow.example/x',
      MLFLOW_TRACKING_TOKEN: 'tok',
      MLFLOW_TRACKING_PASSWORD: 'pw123',
      AWS_SECRET_ACCESS_KEY: 'abc',
      MY_API_KEY: 'k',
      GH_AUTH: 'x',
      DB_CREDENTIALS: 'c',
      HOME: '/home/bob',
      UNSET: undefined,
    };
    expect(redactEnv(env)).toEqual({
      AWS_SECRET_ACCESS_KEY: '***',
      DB_CREDENTIALS: '***',
      GH_AUTH: '***',
      HOME: '/home/bob',
      MLFLOW_TRACKING_PASSWORD: '***',
      MLFLOW_TRACKING_TOKEN: '***',
      MLFLOW_TRACKING_URI: 'https://***@mlflow.example/x',
      MY_API_KEY: '***',
    });
  });

  it('redacts userinfo, Authorization values and known secrets from text', () => {
    expect(redactUrl('http://u:p@h:5000/a')).toBe('http://***@h:5000/a');
    expect(stripUserinfo('http://u:p@h:5000/a')).toBe('http://h:5000/a');
    const secrets = secretsFromEnv({ MLFLOW_TRACKING_USERNAME: 'user', MLFLOW_TRACKING_PASSWORD: 'pass-word', MLFLOW_TRACKING_TOKEN: 'tok-abc' });
    const text = redactText(
      'GET http://user:pass-word@h/x failed; Authorization: Basic dXNlcjpwYXNzLXdvcmQ= token tok-abc and pass-word and "authorization":"Bearer tok-abc"',
      secrets,
    );
    expect(text).not.toMatch(/pass-word|tok-abc|dXNlcjpwYXNzLXdvcmQ/);
    expect(text).toContain('http://***@h/x');
  });
});
