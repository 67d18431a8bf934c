// The LLM-R prompt layout (src/llm_evaluator.py, evaluation/base_eval.py):
//   "{x1}\n{y1}\n\n{x2}\n{y2}\n\n…{x_test}\n"
// Demonstrations are joined by a blank line; the answer (or an option) follows the final "\n".
// Callers order demonstrations; LLM-R puts the most relevant one last, next to the test input.

export const DEMO_SEPARATOR = '\n\n';

export function buildPrompt(demonstrations: readonly string[], query: string): string {
  const head = demonstrations.length > 0 ? demonstrations.join(DEMO_SEPARATOR) + DEMO_SEPARATOR : '';
  return `${head}${query}\n`;
}
