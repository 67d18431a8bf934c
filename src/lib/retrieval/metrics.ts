// Retrieval metrics with the conventions of trec_eval (and of pytrec_eval, which BEIR uses):
//
//   * graded relevance: the gain of a document is its qrels grade (linear gain, as trec_eval's
//     ndcg_cut, not 2^grade − 1); grades ≤ 0 and documents absent from the qrels are non-relevant;
//   * a document is relevant for MRR and Recall when its grade ≥ 1 (trec_eval's relevance level);
//   * discount 1 / log2(rank + 1), ranks from 1; the ideal ranking sorts every judged document of
//     the query by grade;
//   * ties in score are broken by document id, descending (trec_eval sorts by score, then docno
//     in decreasing strcmp order); the rank a run file states is ignored;
//   * a query judged with no relevant document scores 0 on every measure and counts in the mean;
//   * a query in the run but not in the qrels is not evaluated; a query in the qrels but missing
//     from the run is skipped unless `complete` is set (trec_eval -c), which counts it as 0.
//
// MRR@k is the reciprocal rank of the first relevant document within the top k (0 if none);
// Recall@k is the share of the query's relevant documents found in the top k.

/** query id → document id → relevance grade. */
export type Qrels = ReadonlyMap<string, ReadonlyMap<string, number>>;

/** query id → document id → retrieval score (higher is better). */
export type Run = ReadonlyMap<string, ReadonlyMap<string, number>>;

export type MeasureName = 'ndcg' | 'mrr' | 'recall';

/** A measure at a cutoff, e.g. { measure: 'ndcg', k: 10 }, named `ndcg@10`. */
export interface Measure {
  measure: MeasureName;
  k: number;
}

export interface EvaluateOptions {
  /** Count queries of the qrels that the run lacks as 0 (trec_eval -c); default false. */
  complete?: boolean;
}

export interface Evaluation {
  /** Mean over the evaluated queries, by measure name (`ndcg@10`, …). */
  mean: Record<string, number>;
  /** Per evaluated query, by measure name. */
  perQuery: Map<string, Record<string, number>>;
  /** How many queries the means are over. */
  queries: number;
}

export const DEFAULT_MEASURES: readonly Measure[] = [
  { measure: 'ndcg', k: 10 }, { measure: 'mrr', k: 10 }, { measure: 'recall', k: 10 }, { measure: 'recall', k: 100 },
];

export function measureName(m: Measure): string {
  return `${m.measure}@${m.k}`;
}

/** Parses `ndcg@10`, `mrr@10`, `recall@100`; an error names what is accepted. */
export function parseMeasure(text: string): Measure {
  const match = /^(ndcg|mrr|recall)@([1-9][0-9]*)$/.exec(text.trim());
  if (!match) throw new Error(`unknown measure '${text}': expected ndcg@k, mrr@k or recall@k with k ≥ 1`);
  return { measure: match[1] as MeasureName, k: Number(match[2]) };
}

/** Document ids ranked as trec_eval ranks them: score descending, then id descending. */
export function rankDocuments(scores: ReadonlyMap<string, number>): string[] {
  const entries = [...scores];
  for (const [id, s] of entries) if (Number.isNaN(s)) throw new Error(`document ${id} has a NaN score`);
  entries.sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? 1 : a[0] > b[0] ? -1 : 0));
  return entries.map(([id]) => id);
}

function gain(judgments: ReadonlyMap<string, number>, id: string): number {
  const g = judgments.get(id) ?? 0;
  return g > 0 ? g : 0;
}

function checkK(k: number): void {
  if (!Number.isInteger(k) || k < 1) throw new Error(`the cutoff k must be an integer ≥ 1, got ${k}`);
}

/** nDCG@k of one ranked list: DCG@k / ideal DCG@k, 0 when the query has no positive grade. */
export function ndcgAt(ranked: readonly string[], judgments: ReadonlyMap<string, number>, k: number): number {
  checkK(k);
  let dcg = 0;
  for (let i = 0; i < Math.min(k, ranked.length); i++) dcg += gain(judgments, ranked[i]!) / Math.log2(i + 2);
  const ideal = [...judgments.values()].filter((g) => g > 0).sort((a, b) => b - a);
  let idcg = 0;
  for (let i = 0; i < Math.min(k, ideal.length); i++) idcg += ideal[i]! / Math.log2(i + 2);
  return idcg > 0 ? dcg / idcg : 0;
}

/** Reciprocal rank of the first relevant document (grade ≥ 1) in the top k, else 0. */
export function mrrAt(ranked: readonly string[], judgments: ReadonlyMap<string, number>, k: number): number {
  checkK(k);
  for (let i = 0; i < Math.min(k, ranked.length); i++) if ((judgments.get(ranked[i]!) ?? 0) >= 1) return 1 / (i + 1);
  return 0;
}

/** Relevant documents (grade ≥ 1) in the top k over all relevant documents; 0 when there are none. */
export function recallAt(ranked: readonly string[], judgments: ReadonlyMap<string, number>, k: number): number {
  checkK(k);
  let relevant = 0;
  for (const g of judgments.values()) if (g >= 1) relevant++;
  if (relevant === 0) return 0;
  let found = 0;
  for (let i = 0; i < Math.min(k, ranked.length); i++) if ((judgments.get(ranked[i]!) ?? 0) >= 1) found++;
  return found / relevant;
}

const MEASURES: Record<MeasureName, (ranked: readonly string[], judgments: ReadonlyMap<string, number>, k: number) => number> = {
  ndcg: ndcgAt, mrr: mrrAt, recall: recallAt,
};

/** Every measure for every evaluated query, and their means. */
export function evaluateRun(qrels: Qrels, run: Run, measures: readonly Measure[] = DEFAULT_MEASURES, options: EvaluateOptions = {}): Evaluation {
  if (measures.length === 0) throw new Error('no measures to evaluate');
  measures.forEach((m) => checkK(m.k));
  const perQuery = new Map<string, Record<string, number>>();
  const sums: Record<string, number> = Object.fromEntries(measures.map((m) => [measureName(m), 0]));
  for (const [query, judgments] of qrels) {
    const scores = run.get(query);
    if (scores === undefined && !options.complete) continue;
    const ranked = scores === undefined ? [] : rankDocuments(scores);
    const values: Record<string, number> = {};
    for (const m of measures) {
      const name = measureName(m);
      const value = MEASURES[m.measure](ranked, judgments, m.k);
      values[name] = value;
      sums[name]! += value; // sums has every measure's name
    }
    perQuery.set(query, values);
  }
  const n = perQuery.size;
  const mean = Object.fromEntries(Object.entries(sums).map(([name, s]) => [name, n === 0 ? 0 : s / n]));
  return { mean, perQuery, queries: n };
}

/** A run from ranked lists: each query's candidates, best first, with their scores. */
export function runFromRankings(rankings: Iterable<{ query: string; candidates: readonly { id: string; score: number }[] }>): Map<string, Map<string, number>> {
  const run = new Map<string, Map<string, number>>();
  for (const { query, candidates } of rankings) {
    if (run.has(query)) throw new Error(`query ${query} is ranked twice`);
    const scores = new Map<string, number>();
    for (const c of candidates) {
      if (scores.has(c.id)) throw new Error(`query ${query} ranks document ${c.id} twice`);
      scores.set(c.id, c.score);
    }
    run.set(query, scores);
  }
  return run;
}
