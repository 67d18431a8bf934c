// Hugging Face Hub repositories (models and datasets) as local files in the shared Hub cache.
export { parseHubRef, formatHubRef, isHubRef, isCommitId, type HubRef, type RepoType } from './ref.js';
export { hubCacheDir } from './cache.js';
export { fetchHubFiles, type HubOptions, type HubFiles, type Selector } from './snapshot.js';
export { fetchHubModel, MODEL_FILES } from './model.js';
