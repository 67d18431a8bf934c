import { describe, expect, it } from 'vitest';
import { isSecretVar, secretMasker, secretVarNames } from '../../src/util/secrets.js';
import { interpolateValue, InterpolationError } from '../../src/recipe/interpolate.js';

describe('secret variables', () => {
  const env = { OPENAI_API_KEY: 'sk-abcdef', MY_DB_PASS: 'hunter2!', RETORT_SECRET_VARS: 'MY_DB_PASS, OTHER', HF_TOKEN: 'hf3' };

  it('are the known credentials plus the ones RETORT_SECRET_VARS names', () => {
    expect(secretVarNames(env)).toEqual(['OPENAI_API_KEY', 'MLFLOW_TRACKING_PASSWORD', 'MLFLOW_TRACKING_TOKEN', 'HF_TOKEN', 'MY_DB_PASS', 'OTHER']);
    expect(isSecretVar('MY_DB_PASS', env)).toBe(true);
    expect(isSecretVar('HOME', env)).toBe(false);
  });

  it('are masked in text, longer values first; values under 4 characters are left alone', () => {
    const mask = secretMasker({ ...env, MLFLOW_TRACKING_USERNAME: 'u', MLFLOW_TRACKING_PASSWORD: 'pw-secret' });
    expect(mask('key sk-abcdef and hunter2! and hf3')).toBe('key *** and *** and hf3');
    expect(mask(`auth ${Buffer.from('u:pw-secret').toString('base64')}`)).toBe('auth ***');
    expect(secretMasker({})('nothing')).toBe('nothing');
  });

  it('cannot be interpolated into a recipe, with a hint to declare them in the plugin env', () => {
    const scope = { vars: {}, env, hasItem: false };
    expect(interpolateValue('${env:HOME,x}', scope)).toBe('x');
    let caught: unknown;
    try { interpolateValue('Bearer ${env:MY_DB_PASS}', scope); } catch (err) { caught = err; }
    expect(caught).toBeInstanceOf(InterpolationError);
    expect((caught as Error).message).toBe('MY_DB_PASS is a secret (RETORT_SECRET_VARS or a known credential) and cannot be interpolated into the recipe');
    expect((caught as InterpolationError).hint).toBe("declare it in the plugin's env (env: [MY_DB_PASS]) and read it there");
  });
});
