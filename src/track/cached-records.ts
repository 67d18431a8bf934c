// How a run records its cache hits in MLflow: one tag `retort.cached` (how many nodes came from the
// store) and one artifact `retort/cached.tsv` naming each of them, its key and the run that produced
// it. One tag and one file per run, whatever the number of hits: a tag per cached node cost the local
// store a file per node (10k files for a no-op run of a 10k-node recipe).

export const CACHED_COUNT_TAG = 'retort.cached';
export const CACHED_ARTIFACT = 'retort/cached.tsv';
export const CACHED_HEADER = 'node\tkey\tproduced_by';

/** One cached node as a line of the artifact (no trailing newline). `producedBy` is '' when unknown. */
export function cachedRow(nodeId: string, key: string, producedBy: string): string {
  return `${tsvField(nodeId)}\t${tsvField(key)}\t${tsvField(producedBy)}`;
}

/** The artifact's text: the header, then one line per cached node. */
export function cachedTable(rows: string[]): string {
  return `${CACHED_HEADER}\n${rows.length ? `${rows.join('\n')}\n` : ''}`;
}

/** Tabs, newlines and backslashes escaped as \t, \n, \r and \\, so a field never splits a line. */
function tsvField(text: string): string {
  return /[\t\n\r\\]/.test(text) ? text.replace(/[\t\n\r\\]/g, (c) => ESCAPES[c] ?? c) : text;
}

const ESCAPES: Record<string, string> = { '\t': '\\t', '\n': '\\n', '\r': '\\r', '\\': '\\\\' };
