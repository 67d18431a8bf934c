// Loads the optional HNSW addon (native/retort_hnsw.cc, built at install time by
// native/build.mjs). Absence is normal: callers get { ok: false, reason } and search through
// hnswlib-node one query per call. RETORT_NO_HNSW_ADDON=1 makes it absent on purpose (tests of
// the fallback path); RETORT_HNSW_ADDON=<file> points at a build elsewhere.
import { addonLoader, type AddonStatus } from '../native-loader.js';

/** One hnswlib graph held by the addon; every method throws once `close` has run. */
export interface NativeGraph {
  /** Adds count × dim rows, labelled firstLabel, firstLabel + 1, … */
  add(vectors: Float32Array, firstLabel: number): void;
  /** Fills count × k slots of `rows` and `distances`, nearest first; an empty slot has row −1. */
  search(queries: Float32Array, k: number, rows: Int32Array, distances: Float32Array): void;
  setEf(ef: number): void;
  resize(maxElements: number): void;
  /** Writes hnswlib's own file format (the one hnswlib-node reads and writes). */
  save(path: string): void;
  count(): number;
  maxElements(): number;
  /** How later searches run (the graph is not changed); returns the distance kernel in use: `avx2`, `hnswlib`, or `none`. */
  configureSearch(settings: SearchSettings): string;
  /** Bytes held by the search layout; 0 until a search builds it after a change. */
  layoutBytes(): number;
  close(): void;
}

export type SearchLayoutKind = 'hnswlib' | 'insertion' | 'locality';

/**
 * `layout`: hnswlib's own memory and searchKnn (`hnswlib`), or a copy laid out for searching, in
 * insertion or breadth-first (`locality`) order; `simd`: AVX2 distances when the CPU has them;
 * `quantize`: walk uint8 codes and re-rank with float distances; `hugePages`: advise 2 MiB pages
 * for the copy; `prefetch`: fetch one neighbour ahead, as hnswlib does, or all of a node's
 * unvisited neighbours at once; `group`: how many queries of a batch walk the graph at once, taking
 * turns so that their memory loads overlap (1 to 64; 1 walks them one after another, with
 * `prefetch`; above 1 every unvisited neighbour is fetched at once). No setting but `simd` and
 * `quantize` changes an answer.
 */
export interface SearchSettings {
  layout: SearchLayoutKind;
  simd: boolean;
  quantize: Quantize;
  hugePages: boolean;
  prefetch: 'next' | 'all';
  group: number;
  /**
   * Float walk only: also keep uint8 codes, and skip a neighbour's float distance when its code
   * distance, less a proven bound on the difference, already rules it out; the answers stay
   * hnswlib's (bench/README.md: no faster on the bench machine, so off by default).
   */
  screen: boolean;
}

/**
 * What the walk reads: `none` hnswlib's float rows; `bf16` bfloat16 rows (half the bytes), `int8`
 * uint8 codes (a quarter), both re-ranking their candidates with hnswlib's float distance.
 */
export type Quantize = 'none' | 'bf16' | 'int8';

export interface HnswAddon {
  Graph: {
    new (metric: 'cosine' | 'ip', dim: number, maxElements: number, M: number, efConstruction: number, seed: number): NativeGraph;
    new (metric: 'cosine' | 'ip', dim: number, path: string): NativeGraph;
  };
}

export type HnswAddonStatus = AddonStatus<HnswAddon>;

export const loadHnswAddon: () => HnswAddonStatus = addonLoader<HnswAddon>({
  folder: 'index', file: 'retort_hnsw.node', offVar: 'RETORT_NO_HNSW_ADDON', pathVar: 'RETORT_HNSW_ADDON', needs: 'a C++ compiler',
});
