// Opening a saved index of either kind from its sidecar.

import { readSidecar } from './files.js';
import { ExactIndex } from './exact.js';
import { HnswIndex } from './hnsw.js';
import type { VectorIndex } from './types.js';

/** Loads the index saved in `dir` under `name`, whichever kind it is. */
export function loadVectorIndex(dir: string, name = 'index'): VectorIndex {
  return readSidecar(dir, name).kind === 'hnsw' ? HnswIndex.load(dir, name) : ExactIndex.load(dir, name);
}
