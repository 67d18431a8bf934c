// Passage corpora in the BEIR layout, with each passage's document and next passage: generated,
// built from reading-comprehension task folders, or read from a user's BEIR folder.

export {
  describeCorpus, describeSet, linkChain, readPassageCorpus, writePassageCorpus, INFO_FILE, ZERO_SHOT_DIR,
  type CorpusInfo, type PassageCorpus, type ReadPassageCorpus, type SetInfo,
} from './corpus.js';
export { generatePassageCorpus, GENERATED_DEFAULTS, type GeneratedCorpusOptions } from './generated.js';
export { passageCorpusFromTasks, passageSetFromTasks, containsPhrase, emptyCounts, type TaskCorpusInput, type TaskCorpusOptions, type TaskCorpusCounts } from './from-tasks.js';
export { passageCorpusFromBeir, dropEmpty } from './from-beir.js';
export { capDocuments } from './cap.js';
export { cleanText, splitSentences, chunkSentences } from './sentences.js';
export { bm25Scores } from './bm25-baseline.js';
