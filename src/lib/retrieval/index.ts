// Retrieval data and measures: the BEIR layout, retrieval sets from task folders, passage corpora
// with next-passage links (`passages`), trec_eval-style nDCG/MRR/Recall, and the small dense
// retriever the negatives ablation trains.

export {
  evaluateRun, ndcgAt, mrrAt, recallAt, rankDocuments, runFromRankings, parseMeasure, measureName, DEFAULT_MEASURES,
  type Qrels, type Run, type Measure, type MeasureName, type EvaluateOptions, type Evaluation,
} from './metrics.js';
export {
  readBeirFolder, writeBeirFolder, describeBeir, CORPUS_FILE, QUERIES_FILE, QRELS_DIR, QRELS_HEADER,
  type BeirDataset, type BeirDocument, type BeirQuery, type BeirQrels, type ReadBeirOptions,
} from './beir.js';
export { retrievalSetFromTask, passageFieldsOf, type PassageFields, type FromTaskOptions } from './from-tasks.js';
export { embed, embedAll, trainDense, evaluateDense, groupAt, type DenseEncoder, type DenseTrainSettings, type TrainingGroup } from './dense.js';
export * as passages from './passages/index.js';
