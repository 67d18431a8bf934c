// Hugging Face dataset repositories as local files: the data files an hf://datasets/… reference
// selects, fetched through the shared Hub cache (src/lib/hub), offline when the cache has them.

import { DataError } from '../errors.js';
import { formatOf } from '../loaders.js';
import { fetchHubFiles, type HubOptions } from '../../hub/snapshot.js';
import { parseHfUrl, type HfDatasetRef } from './url.js';

export type HfOptions = HubOptions;

export interface HfFetchResult {
  ref: HfDatasetRef;
  /** Local copies of the selected data files, sorted by repository path. */
  files: { path: string; localPath: string }[];
  /** True when the Hub was not consulted (offline or unreachable). */
  fromCache: boolean;
}

/** The data files a reference selects: the named file, or the readable files under the path. */
function selectDataFiles(ref: HfDatasetRef): (paths: string[], where: string) => string[] {
  return (paths, where) => {
    if (paths.includes(ref.path)) return [ref.path];
    const prefix = ref.path ? `${ref.path}/` : '';
    const picked = paths
      .filter((p) => p.startsWith(prefix) && formatOf(p) !== undefined && !p.split('/').some((s) => s.startsWith('.')))
      .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    if (picked.length === 0) {
      throw new DataError(where, 0, `no data files (.jsonl, .json, .csv, .tsv, .parquet, optionally .gz) ${ref.path ? `under "${ref.path}"` : 'in the repository'}`);
    }
    return picked;
  };
}

/** Downloads (or finds in the cache) the files an hf:// reference selects. */
export async function fetchHfDataset(url: string, opts: HfOptions = {}): Promise<HfFetchResult> {
  const ref = parseHfUrl(url);
  const got = await fetchHubFiles(ref, selectDataFiles(ref), opts);
  return { ref, files: got.files, fromCache: got.fromCache };
}
