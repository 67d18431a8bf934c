// Arithmetic word problems as a chain of operations on one running quantity:
//   value₀ = start;  valueᵢ = valueᵢ₋₁ opᵢ operandᵢ;  answer = value_last.
// The chain is kept beside the text so a solver (the built-in noisy teacher) can re-solve it
// and its mistakes can be written back as text.

export type Op = '+' | '-' | '*' | '/';

export interface ChainStep {
  op: Op;
  operand: number;
  /** The step as the question states it. */
  sentence: string;
  /** How a rationale refers to the step; `{n}` stands for the operand ("After buying {n} more stickers"). */
  phrase: string;
}

export interface ArithProblem {
  /** Unique in the suite: `<split>-<index>`. */
  id: string;
  split: string;
  template: string;
  /** What is counted (stickers, dollars, liters…). */
  subject: string;
  question: string;
  /** How the rationale introduces the start value, with `{n}` for it ("Mia starts with {n} stickers"). */
  startPhrase: string;
  start: number;
  steps: ChainStep[];
  /** Numbers in sentences that play no part in the answer (OOD distractors). */
  distractors: number[];
  /** Gold chain of thought, ending with "The answer is N." */
  rationale: string;
  answer: number;
}

export function applyOp(a: number, op: Op, b: number): number {
  switch (op) {
    case '+':
      return a + b;
    case '-':
      return a - b;
    case '*':
      return a * b;
    case '/':
      return a / b;
  }
}

/** One rationale line: "After buying 5 more stickers: 12 + 5 = 17." */
export function stepLine(phrase: string, before: number, op: Op, operand: number, after: number): string {
  return `${phrase.replace('{n}', String(operand))}: ${before} ${op} ${operand} = ${after}.`;
}

export function answerLine(answer: number | string): string {
  return `The answer is ${answer}.`;
}
