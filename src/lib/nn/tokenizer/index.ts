// Subword tokenizers in the Hugging Face tokenizer.json format: load, encode, batch, decode,
// save, train WordPiece or byte-level BPE, and make tfjs tensors of a batch.

export * from './core.js';
export { toTensors, type BatchTensors } from './tensors.js';
