// Public API of the data layer.
export * from './task.js';
export { DataError, isDataError } from './errors.js';
export { loadTaskFolder, writeTaskFolder, listTaskFolders, readTaskMeta, readSplit, serializeMeta, serializeRow, splitFile, META_FILE, type LoadTaskFolderOptions, type LoadedTask } from './task-folder.js';
export { readTaskIndex, writeTaskIndex, indexEntry, INDEX_FILE, type TaskIndex, type TaskIndexEntry } from './task-index.js';
export { validateMeta, validateRow, splitNeedsReferences } from './validate.js';
export { readJsonLines } from './jsonl.js';
export { parseDelimited, parseDelimitedObjects, type DelimitedOptions, type DelimitedRecord } from './csv.js';
export { getPath, mapRecord, type RowMapping } from './mapping.js';
export { loadRows, readRecords, formatOf, SOURCE_EXTENSIONS, type SourceFormat, type LoadRowsOptions } from './loaders.js';
export { readParquetRecords } from './parquet.js';
export { loadHfRows, fetchHfDataset, parseHfUrl, formatHfUrl, hubCacheDir, type HfOptions, type HfFetchResult, type HfDatasetRef } from './hf/index.js';
