// What the tests of the HNSW batch addon share: the addon itself (it must be built: a missing one
// fails the test, never skips it) and a raw search through a graph, k slots per query.
import { loadHnswAddon, type HnswAddon, type NativeGraph } from '../../src/lib/nn/index/native-hnsw.js';

export function builtAddon(): HnswAddon {
  const status = loadHnswAddon();
  if (!status.ok) throw new Error(`the HNSW addon must be built for these tests: ${status.reason}`);
  return status.addon;
}

/** The graph's answers for `queries` (rows and distances), k per query, as the addon writes them. */
export function searchRaw(graph: NativeGraph, queries: Float32Array, dim: number, k: number): { rows: Int32Array; distances: Float32Array } {
  const rows = new Int32Array((queries.length / dim) * k);
  const distances = new Float32Array((queries.length / dim) * k);
  graph.search(queries, k, rows, distances);
  return { rows, distances };
}
