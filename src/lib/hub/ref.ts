// hf:// references to Hugging Face Hub repositories:
//   hf://datasets/<owner>/<name>[@<revision>][/<path>]   a dataset repository
//   hf://[models/]<owner>/<name>[@<revision>][/<path>]   a model repository
// A revision holding "/" (refs/convert/parquet) is written percent-encoded.

import { DataError } from '../data/errors.js';

export type RepoType = 'model' | 'dataset';

export interface HubRef {
  type: RepoType;
  owner: string;
  name: string;
  /** Branch, tag or commit; "main" when omitted. */
  revision: string;
  /** Path inside the repository ("" = the whole repository). */
  path: string;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const FORMS = 'hf://datasets/<owner>/<name>[@<revision>][/<path>] or hf://<owner>/<model>[@<revision>]';

export function isHubRef(text: string): boolean {
  return text.startsWith('hf://');
}

/** Parses a reference; `only` restricts it to one repository type. */
export function parseHubRef(url: string, only?: RepoType): HubRef {
  const fail = (why: string): never => {
    const form = only === 'dataset' ? 'hf://datasets/<owner>/<name>[@<revision>][/<path>]' : only === 'model' ? 'hf://<owner>/<model>[@<revision>][/<path>]' : FORMS;
    throw new DataError(url, 0, `${why} (expected ${form})`);
  };
  const m = /^hf:\/\/(?:(datasets|models|spaces)\/)?([^/@]+)\/([^/@]+)(?:@([^/]+))?(?:\/(.*))?$/.exec(url);
  if (!m) return fail('not a Hugging Face reference');
  const [, kind, owner, name, rev, path] = m;
  if (kind === 'spaces') return fail('Spaces are not supported');
  const type: RepoType = kind === 'datasets' ? 'dataset' : 'model';
  if (only && type !== only) return fail(`not a Hugging Face ${only} reference`);
  if (!NAME.test(owner!) || !NAME.test(name!)) fail(`bad owner or ${type} name`);
  let revision = 'main';
  if (rev !== undefined) {
    try {
      revision = decodeURIComponent(rev);
    } catch {
      fail('bad percent-encoding in the revision');
    }
    if (revision === '') fail('empty revision');
    if (revision.split('/').some((seg) => seg === '..' || seg === '.' || seg === '')) fail('bad revision');
  }
  const clean = (path ?? '').replace(/\/+$/, '');
  if (clean.split('/').some((seg) => seg === '..' || seg === '.')) fail('"." and ".." are not allowed in the path');
  return { type, owner: owner!, name: name!, revision, path: clean };
}

export function formatHubRef(ref: HubRef): string {
  const prefix = ref.type === 'dataset' ? 'datasets/' : '';
  return `hf://${prefix}${ref.owner}/${ref.name}@${encodeURIComponent(ref.revision)}${ref.path ? `/${ref.path}` : ''}`;
}

/** A 40-hex-digit commit id (as opposed to a branch or tag name). */
export function isCommitId(revision: string): boolean {
  return /^[0-9a-f]{40}$/.test(revision);
}
