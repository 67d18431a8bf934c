export {
  DEFAULT_TEST_SIZE, DEFAULT_TRAIN_SIZE, GENERATED_TASK_NAMES, GENERATORS, SUITE_VERSION,
  generateSuite, generateTask, writeSuite, type GeneratedTask, type SuiteOptions,
} from './suite.js';
export { Rng, hashString } from './rng.js';
export type { TaskGenerator, Example } from './types.js';
