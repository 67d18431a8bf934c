// Public API of the task layer: the registry and rendering, the built-in generated suite, and
// task folders written from either.
export * from './registry.js';
export { generateSuite, generateTask, writeSuite, GENERATED_TASK_NAMES, GENERATORS, SUITE_VERSION, type GeneratedTask, type SuiteOptions } from './generated/index.js';
export { materializeTasks, type MaterializeOptions } from './materialize.js';
export { capRows } from './sample.js';
