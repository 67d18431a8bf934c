// Public API of the language-model layer.
export type { LanguageModel, SampleRequest, ScoreRequest, ContinuationScore, GenerateRequest, OptionChoice, LabelChoice } from './types.js';
export { NgramLM, trainNgramModel, DEFAULT_MIX, DEFAULT_ORDER, ModelFileError, type NgramTrainOptions, type MixWeights, type TokenAnalysis, type Completion } from './ngram.js';
export { OpenAICompletionsLM, OpenAIError, completionsUrl, type OpenAIOptions } from './openai.js';
export { startLmServer, type LmServer, type LmServerOptions, type ServableModel } from './server.js';
export { openLanguageModel, writeLmDescriptor, LM_DESCRIPTOR, type LmDescriptor } from './load.js';
export { buildPrompt, DEMO_SEPARATOR } from './prompt.js';
export { chooseByMeanLogProb, classifyConstrained, LABEL_TERMINATOR } from './decide.js';
export { demonstrationTexts, type DemonstrationTexts } from './train-texts.js';
