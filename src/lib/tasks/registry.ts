// The task registry: LLM-R task specs by name, a spec for any task folder's metadata, and the
// functions that render a task's examples as prompts.
export * from './specs.js';
export type { TaskSpec, TaskScoring } from './spec.js';
export { renderQuery, renderDemonstration, answerText, answerOptions, answerReferences, verbalize, labelForWord } from './render.js';
