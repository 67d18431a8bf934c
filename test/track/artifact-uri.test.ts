import { describe, expect, it } from 'vitest';
import { artifactUrl, guessContentType, resolveArtifactTarget } from '../../src/track/artifact-uri.js';

describe('artifact URI resolution', () => {
  it('maps mlflow-artifacts URIs onto the tracking server proxy', () => {
    expect(resolveArtifactTarget('http://h:5000', 'mlflow-artifacts:/1/abc/artifacts')).toEqual({
      kind: 'http', baseUrl: 'http://h:5000/api/2.0/mlflow-artifacts/artifacts/1/abc/artifacts',
    });
    expect(resolveArtifactTarget('https://h/prefix/', 'mlflow-artifacts://other:81/1/abc/artifacts/')).toEqual({
      kind: 'http', baseUrl: 'https://other:81/prefix/api/2.0/mlflow-artifacts/artifacts/1/abc/artifacts',
    });
  });

  it('treats file URIs and paths as local directories, cloud stores as unsupported', () => {
    expect(resolveArtifactTarget('http://h', 'file:///tmp/a%20b')).toEqual({ kind: 'file', dir: '/tmp/a b' });
    expect(resolveArtifactTarget('http://h', '/srv/mlruns/1')).toEqual({ kind: 'file', dir: '/srv/mlruns/1' });
    expect(resolveArtifactTarget('http://h', 's3://bucket/x')).toEqual({ kind: 'unsupported', scheme: 's3' });
  });

  it('encodes path segments and guesses content types', () => {
    expect(artifactUrl('http://h/a', 'x y/z#.txt')).toBe('http://h/a/x%20y/z%23.txt');
    expect(guessContentType('a/b.json')).toBe('application/json');
    expect(guessContentType('model.bin')).toBe('application/octet-stream');
  });
});
