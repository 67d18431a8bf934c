// Public API of the task layer.
export {
  TASK_REGISTRY, HELD_OUT_TASKS, taskSpecFor, genericTemplate, mirroredTask,
  renderQuery, renderDemonstration, answerText, answerOptions, verbalize, labelForWord, type TaskSpec,
} from './registry.js';
export { generateSuite, generateTask, writeSuite, GENERATED_TASK_NAMES, GENERATORS, SUITE_VERSION, type GeneratedTask, type SuiteOptions } from './generated/index.js';
export { materializeTasks, type MaterializeOptions } from './materialize.js';
export { capRows } from './sample.js';
