export type { CausalLM, LMSession, TextTokenizer, SequencePool, SequencePoolOptions } from './interfaces.js';
export { SamplingError, InvalidOptionError, InvalidModelError, InvalidPromptError, ContextLengthError, InvalidLogitsError, checkLogits } from './errors.js';
export { float32Problem, FLOAT32_MAX, FLOAT32_MIN_POSITIVE } from './float32.js';
export { generate, generateText, type GeneratedRow, type GenerateTextResult } from './generate.js';
export type { Prompt } from './prompts.js';
export {
  GPTJ_UNUSED_TOKEN_RANGE,
  parseGenerateOptions,
  type GenerateOptions,
  type CustomLogitsProcessor,
  type StoppingCriterion,
  type ResolvedOptions,
} from './options.js';
export type {
  FinishReason,
  TokenEvent,
  DoneEvent,
  GenerationEvent,
  GenerationUsage,
  GenerationTiming,
  GenerationSummary,
} from './events.js';
export { buildPipeline, type Pipeline } from './pipeline.js';
export { WarperChain, type Candidates } from './warper-chain.js';
export { LogitsProcessorList, type LogitsProcessor, type ProcessorContext } from './processors/types.js';
export { TemperatureProcessor } from './processors/temperature.js';
export { TopKProcessor } from './processors/top-k.js';
export { TopPProcessor } from './processors/top-p.js';
export { TypicalPProcessor } from './processors/typical-p.js';
export { MinPProcessor } from './processors/min-p.js';
export { EpsilonProcessor } from './processors/epsilon.js';
export { RepetitionPenaltyProcessor } from './processors/repetition-penalty.js';
export { PresenceFrequencyPenaltyProcessor } from './processors/presence-frequency.js';
export { NoRepeatNGramProcessor } from './processors/no-repeat-ngram.js';
export { LogitBiasProcessor } from './processors/logit-bias.js';
export { SequenceBiasProcessor, BadWordsProcessor } from './processors/sequence-bias.js';
export { MinNewTokensProcessor } from './processors/min-new-tokens.js';
export { TokenRangeMaskProcessor } from './processors/token-range-mask.js';
export { OverflowLimitProcessor } from './processors/overflow-limit.js';
export { GreedySampler, MultinomialSampler, type Sampler } from './samplers.js';
export { decodingStrategy, type DecodingStrategy } from './strategy.js';
export { BeamSearch, type BeamSearchOptions, type BeamHypothesis, type EarlyStopping } from './beam-search.js';
export { StopStringMatcher } from './stop-strings.js';
export { Xoshiro128 } from './rng.js';
export type { TokenLogprob } from './top-logprobs.js';
export {
  Scheduler,
  SessionSequencePool,
  QueueFullError,
  SchedulerClosedError,
  SchedulerStepError,
  SequencePoolError,
  type SchedulerOptions,
  type SchedulerStats,
  type StepStats,
  type ScheduledRequest,
  type ScheduledResult,
} from './scheduler/index.js';
export { JsonLogitsProcessor, type JsonProcessorOptions } from './processors/json-processor.js';
export { JsonCursor, JSON_MAX_DEPTH, type JsonGrammarOptions } from './processors/json-grammar.js';
export type { JsonTokenSource } from './processors/json-token-table.js';
