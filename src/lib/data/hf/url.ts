// hf://datasets/<owner>/<name>[@<revision>][/<path-in-repo>] references to Hugging Face dataset
// repositories: the dataset form of the Hub references in src/lib/hub/ref.ts.

import { formatHubRef, parseHubRef, type HubRef } from '../../hub/ref.js';

export type HfDatasetRef = HubRef & { type: 'dataset' };

export function parseHfUrl(url: string): HfDatasetRef {
  return parseHubRef(url, 'dataset') as HfDatasetRef;
}

export function formatHfUrl(ref: HfDatasetRef): string {
  return formatHubRef(ref);
}
