// The task-folder format: <task>/task.json plus <split>.jsonl, one example per line.

export type TaskCategory =
  | 'close_qa' | 'commonsense' | 'coreference' | 'nli' | 'paraphrase'
  | 'reading_comprehension' | 'sentiment' | 'data_to_text' | 'summarize';

export const TASK_CATEGORIES: readonly TaskCategory[] = [
  'close_qa', 'commonsense', 'coreference', 'nli', 'paraphrase',
  'reading_comprehension', 'sentiment', 'data_to_text', 'summarize',
];

export type TaskType = 'multiple_choice' | 'classification' | 'generation';
export type TaskMetric = 'accuracy' | 'exact_match' | 'f1' | 'rouge_l' | 'token_f1' | 'bleu';

export interface TaskMeta {
  name: string;
  category: TaskCategory;
  type: TaskType;
  metric: TaskMetric;
  /** Names of the input fields of each row. */
  fields: string[];
  /** Label words for classification; empty otherwise. */
  labels: string[];
  splits: Record<string, number>;
  source?: string;
  license?: string;
  notes?: string;
}

export interface TaskRow {
  id: string;
  fields: Record<string, string>;
  options?: string[];
  output: string;
  references?: string[];
}
