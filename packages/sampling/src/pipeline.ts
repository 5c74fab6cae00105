import { EpsilonProcessor } from './processors/epsilon.js';
import { LogitBiasProcessor } from './processors/logit-bias.js';
import { MinNewTokensProcessor } from './processors/min-new-tokens.js';
import { MinPProcessor } from './processors/min-p.js';
import { NoRepeatNGramProcessor } from './processors/no-repeat-ngram.js';
import { OverflowLimitProcessor } from './processors/overflow-limit.js';
import { PresenceFrequencyPenaltyProcessor } from './processors/presence-frequency.js';
import { RepetitionPenaltyProcessor } from './processors/repetition-penalty.js';
import { BadWordsProcessor, SequenceBiasProcessor } from './processors/sequence-bias.js';
import { TemperatureProcessor } from './processors/temperature.js';
import { TokenRangeMaskProcessor } from './processors/token-range-mask.js';
import { TopKProcessor } from './processors/top-k.js';
import { TopPProcessor } from './processors/top-p.js';
import { TypicalPProcessor } from './processors/typical-p.js';
import { LogitsProcessorList, type LogitsProcessor } from './processors/types.js';
import type { ResolvedOptions } from './options.js';
import { WarperChain } from './warper-chain.js';

export interface Pipeline {
  /** Applied in every decoding mode: biases, penalties, bans (HF "logits processors"). */
  processors: LogitsProcessorList;
  /** Applied only when sampling: temperature and truncation (HF "logits warpers"); they never change the argmax. */
  warpers: WarperChain;
}

/**
 * The processors the options ask for, in Hugging Face's order: bias and penalties, bans, then the warpers
 * temperature -> top-k -> top-p -> min-p -> typical-p -> epsilon (top-k first keeps the later ones cheap). The
 * caller's `logitsProcessors` come last among the processors: they see the dense row in every decoding mode.
 */
export function buildPipeline(o: ResolvedOptions, eosTokenIds: readonly number[], maskedTokenRange: readonly [number, number] | null): Pipeline {
  const p: LogitsProcessor[] = [];
  if (o.sequenceBias) p.push(new SequenceBiasProcessor(o.sequenceBias));
  if (o.logitBias && Object.keys(o.logitBias).length > 0) p.push(new LogitBiasProcessor(o.logitBias));
  if (o.repetitionPenalty !== 1) p.push(new RepetitionPenaltyProcessor(o.repetitionPenalty));
  if (o.presencePenalty !== 0 || o.frequencyPenalty !== 0) p.push(new PresenceFrequencyPenaltyProcessor(o.presencePenalty, o.frequencyPenalty));
  if (o.noRepeatNgramSize > 0) p.push(new NoRepeatNGramProcessor(o.noRepeatNgramSize));
  if (o.badWordsIds && o.badWordsIds.length > 0) p.push(new BadWordsProcessor(o.badWordsIds, eosTokenIds));
  if (o.minNewTokens > 0 && eosTokenIds.length > 0) p.push(new MinNewTokensProcessor(o.minNewTokens, eosTokenIds));
  if (maskedTokenRange && maskedTokenRange[1] > maskedTokenRange[0]) p.push(new TokenRangeMaskProcessor(maskedTokenRange[0], maskedTokenRange[1]));
  // only these can overflow float32 (the others remove tokens or subtract at most 2 per occurrence)
  if (o.sequenceBias || o.logitBias || o.repetitionPenalty !== 1) p.push(new OverflowLimitProcessor());
  for (const c of o.logitsProcessors) p.push(typeof c === 'function' ? { process: (scores, ctx) => c(ctx.ids, scores, ctx) } : c);

  const w: LogitsProcessor[] = [];
  const keep = o.minTokensToKeep;
  if (o.temperature > 0 && o.temperature !== 1) w.push(new TemperatureProcessor(o.temperature));
  if (o.topK > 0) w.push(new TopKProcessor(o.topK, keep));
  if (o.topP < 1) w.push(new TopPProcessor(o.topP, keep));
  if (o.minP > 0) w.push(new MinPProcessor(o.minP, keep));
  if (o.typicalP < 1) w.push(new TypicalPProcessor(o.typicalP, keep));
  if (o.epsilonCutoff > 0) w.push(new EpsilonProcessor(o.epsilonCutoff, keep));
  return { processors: new LogitsProcessorList(p), warpers: new WarperChain(w) };
}
