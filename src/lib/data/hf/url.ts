// hf://datasets/<owner>/<name>[@<revision>][/<path-in-repo>] references to Hugging Face dataset
// repositories. A revision holding "/" (refs/convert/parquet) is written percent-encoded.

import { DataError } from '../errors.js';

export interface HfDatasetRef {
  owner: string;
  name: string;
  /** Branch, tag or commit; "main" when omitted. */
  revision: string;
  /** Path inside the repository ("" = the whole repository). */
  path: string;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

export function parseHfUrl(url: string): HfDatasetRef {
  const m = /^hf:\/\/datasets\/([^/@]+)\/([^/@]+)(?:@([^/]+))?(?:\/(.*))?$/.exec(url);
  const fail = (why: string): never => {
    throw new DataError(url, 0, `${why} (expected hf://datasets/<owner>/<name>[@<revision>][/<path>])`);
  };
  if (!m) return fail('not a Hugging Face dataset reference');
  const [, owner, name, rev, path] = m;
  if (!NAME.test(owner) || !NAME.test(name)) fail('bad owner or dataset name');
  let revision = 'main';
  if (rev !== undefined) {
    try {
      revision = decodeURIComponent(rev);
    } catch {
      fail('bad percent-encoding in the revision');
    }
    if (revision === '') fail('empty revision');
  }
  const clean = (path ?? '').replace(/\/+$/, '');
  if (clean.split('/').some((seg) => seg === '..' || seg === '.')) fail('"." and ".." are not allowed in the path');
  return { owner, name, revision, path: clean };
}

export function formatHfUrl(ref: HfDatasetRef): string {
  return `hf://datasets/${ref.owner}/${ref.name}@${encodeURIComponent(ref.revision)}${ref.path ? `/${ref.path}` : ''}`;
}
