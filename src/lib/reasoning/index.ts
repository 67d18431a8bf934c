// Reasoning data for distillation from negative samples: the generated arithmetic suite, answer
// extraction and equivalence, the built-in noisy teacher and sample labelling.
export * from './answers.js';
export * from './types.js';
export { generateSuite, generateProblem, splitSpecs, SPLITS, SMALL_NUMBERS, LARGE_NUMBERS, type Suite, type SuiteOptions, type SplitName, type SplitSpec, type NumberRange } from './suite.js';
export { IN_DISTRIBUTION_TEMPLATES, OOD_TEMPLATES } from './templates.js';
export * from './teacher.js';
export * from './samples.js';
export * from './rows.js';
export * from './io.js';
export { loadStudent, saveMergedStudent, saveNatStudent, NAT_CONFIG_FILE, NAT_WEIGHTS_FILE, type LoadedStudent, type NatStudentConfig } from './student-model.js';
