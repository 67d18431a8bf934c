// A stage's tokenizer input (a folder holding tokenizer.json, or the file itself), opened and
// tried once on a sentence, so a bad file fails the node with its name rather than mid-training.

import { NodeFailure } from '../../plugin/api.js';
import { loadTokenizer, resolveTokenizerFile, type Tokenizer } from '../nn/tokenizer/core.js';

export async function openTokenizerInput(given: string): Promise<{ tokenizer: Tokenizer; tokenizerFile: string }> {
  let file = given;
  try {
    file = await resolveTokenizerFile(given);
    const tokenizer = await loadTokenizer(file);
    tokenizer.encode('a probe sentence');
    return { tokenizer, tokenizerFile: file };
  } catch (e) {
    const message = (e as Error).message;
    throw new NodeFailure(message.includes(file) ? `the tokenizer does not load: ${message}` : `${file}: the tokenizer does not load: ${message}`);
  }
}
