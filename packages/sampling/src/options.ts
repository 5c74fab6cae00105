import { randomInt } from 'node:crypto';
import { z } from 'zod';
import { InvalidOptionError } from './errors.js';
import { float32Problem } from './float32.js';
import type { LogitsProcessor, ProcessorContext } from './processors/types.js';

/**
 * A custom logits processor: rewrites one row's scores (Float32Array [V]) in place; `ids` is the row's history,
 * prompt first. The object form is the built-in processors' interface.
 */
/** A custom stopping rule: true ends the row. */
export type StoppingCriterion = (ids: readonly number[], ctx: ProcessorContext) => boolean;

export type CustomLogitsProcessor = LogitsProcessor | ((ids: readonly number[], scores: Float32Array, ctx: ProcessorContext) => void);

/** GPT-J's untrained logit ids: its 50257-token GPT-2 vocabulary padded to 50400 logits. [start, end). */
export const GPTJ_UNUSED_TOKEN_RANGE: readonly [number, number] = [50257, 50400];

/** Options of `generate` / `generateText`. Names follow HF GenerationConfig (camelCased) and OpenAI where HF has none. */
export interface GenerateOptions {
  /** Tokens to generate per row at most (default 64). prompt + maxNewTokens must fit the model's maxLength. */
  maxNewTokens?: number;
  /** EOS is banned until a row has this many new tokens (default 0). */
  minNewTokens?: number;
  /** Sample (default) or pick the best token; `temperature: 0` also means greedy. `true` with numBeams > 1 is an error. */
  doSample?: boolean;
  /** > 0 divides the scores (default 1); 0 means greedy decoding. */
  temperature?: number;
  /** Keep the k best tokens (0 = off, the default). */
  topK?: number;
  /** Nucleus sampling, (0, 1] (1 = off, the default). */
  topP?: number;
  /** Locally typical sampling, (0, 1] (1 = off). */
  typicalP?: number;
  /** Remove tokens less likely than minP x the best token's probability, [0, 1] (0 = off). */
  minP?: number;
  /** Remove tokens with probability below this, [0, 1) (0 = off). */
  epsilonCutoff?: number;
  /** topP / typicalP / minP / epsilonCutoff keep at least this many tokens (default 1). */
  minTokensToKeep?: number;
  /** HF repetition penalty over prompt + generated tokens, > 0 (1 = off). */
  repetitionPenalty?: number;
  /** OpenAI presence penalty over generated tokens, [-2, 2]. */
  presencePenalty?: number;
  /** OpenAI frequency penalty over generated tokens, [-2, 2]. */
  frequencyPenalty?: number;
  /** Ban tokens that would repeat an n-gram of this size (0 = off). */
  noRepeatNgramSize?: number;
  /** OpenAI logit_bias: token id -> bias in [-100, 100] added to its score. */
  logitBias?: Record<string, number>;
  /** Token sequences that must not be generated (HF bad_words_ids). */
  badWordsIds?: number[][];
  /** HF sequence_bias: [token sequence, bias] pairs. */
  sequenceBias?: [number[], number][];
  /**
   * Token ids [start, end) never generated. Default: GPTJ_UNUSED_TOKEN_RANGE when the model's vocabSize is 50400
   * (GPT-J's padded vocabulary), none otherwise. `null` turns the mask off (a fine-tune that uses those ids).
   */
  maskedTokenRange?: [number, number] | null;
  /** Stop strings: generation of a row stops before the first one; its text is not emitted. Not with beam search. */
  stop?: string | string[];
  /** Overrides the model's EOS id(s); null: no EOS (generate until length or a stop string). */
  eosTokenId?: number | number[] | null;
  /**
   * Seed of the multinomial sampler (a uint32), or one seed per output row. Default: drawn at random (crypto) on each
   * call and reported in the summary (`seed`), so an unseeded sample can be reproduced.
   */
  seed?: number | number[];
  /** > 1: beam search (deterministic; no sampling options). */
  numBeams?: number;
  /** Beam search: exponent of the length normalisation (default 1). */
  lengthPenalty?: number;
  /** Beam search: HF early_stopping (default false). */
  earlyStopping?: boolean | 'never';
  /** Outputs per prompt: the best beams, or independent samples (default 1). */
  numReturnSequences?: number;
  /** Report each token's log-probability under the model (before any processor). */
  logprobs?: boolean;
  /**
   * Report this many alternatives (0..20, default 0) with each token: `topLogprobs: [{ id, logprob }]`, the most
   * likely tokens under the model, most likely first (OpenAI's `top_logprobs`). > 0 also reports `logprob`.
   */
  topLogprobs?: number;
  /**
   * Custom processors, applied in order to every row after the built-in processors (biases, penalties, bans, the
   * masked range) and before temperature / truncation and the choice of the token (greedy, sampling or beams).
   */
  logitsProcessors?: CustomLogitsProcessor[];
  /**
   * Custom stopping rules, asked after each generated token with the row's history (prompt first): the first that
   * returns true finishes the row with reason 'stop' (its text is emitted). Not with beam search.
   */
  stoppingCriteria?: StoppingCriterion[];
  /** Aborts generation: pending rows finish with reason 'abort' and the KV cache is freed. */
  signal?: AbortSignal;
}

const count = (min: number) => z.number().int().min(min);
/** A number that survives the float32 rounding it meets in the processors (see float32.ts). */
const real = () =>
  z.number().check((ctx) => {
    const problem = float32Problem(ctx.value);
    if (problem !== null) ctx.issues.push({ code: 'custom', message: problem, input: ctx.value });
  });
const tokenId = z.number().int().min(0);
const uint32 = z.number().int().min(0).max(0xffffffff);

const schema = z
  .strictObject({
    maxNewTokens: count(1).default(64),
    minNewTokens: count(0).default(0),
    doSample: z.boolean().optional(),
    temperature: real().min(0).default(1),
    topK: count(0).default(0),
    topP: real().gt(0).lte(1).default(1),
    typicalP: real().gt(0).lte(1).default(1),
    minP: real().min(0).max(1).default(0),
    epsilonCutoff: real().min(0).lt(1).default(0),
    minTokensToKeep: count(1).default(1),
    repetitionPenalty: real().gt(0).default(1),
    presencePenalty: real().min(-2).max(2).default(0),
    frequencyPenalty: real().min(-2).max(2).default(0),
    noRepeatNgramSize: count(0).default(0),
    logitBias: z.record(z.string().regex(/^\d+$/, 'keys must be token ids'), real().min(-100).max(100)).optional(),
    badWordsIds: z.array(z.array(tokenId).min(1)).optional(),
    sequenceBias: z.array(z.tuple([z.array(tokenId).min(1), real()])).optional(),
    maskedTokenRange: z
      .tuple([tokenId, tokenId])
      .refine(([a, b]) => a <= b, 'start must be <= end')
      .nullable()
      .optional(),
    stop: z.union([z.string().min(1), z.array(z.string().min(1))]).optional(),
    eosTokenId: z.union([tokenId, z.array(tokenId), z.null()]).optional(),
    seed: z.union([uint32, z.array(uint32).min(1)]).default(() => randomInt(0, 2 ** 32)),
    numBeams: count(1).default(1),
    lengthPenalty: real().default(1),
    earlyStopping: z.union([z.boolean(), z.literal('never')]).default(false),
    numReturnSequences: count(1).default(1),
    logprobs: z.boolean().default(false),
    topLogprobs: count(0).max(20).default(0),
    logitsProcessors: z
      .array(
        z.custom<CustomLogitsProcessor>(
          (v) => typeof v === 'function' || (typeof v === 'object' && v !== null && typeof (v as LogitsProcessor).process === 'function'),
          'must be a function (ids, scores, ctx) => void or an object with process(scores, ctx)',
        ),
      )
      .default([]),
    stoppingCriteria: z.array(z.custom<StoppingCriterion>((v) => typeof v === 'function', 'must be a function (ids, ctx) => boolean')).default([]),
    signal: z.custom<AbortSignal>((v) => v instanceof AbortSignal, 'must be an AbortSignal').optional(),
  })
  .superRefine((o, ctx) => {
    const issue = (path: string, message: string) => ctx.addIssue({ code: 'custom', path: [path], message });
    if (o.numBeams > 1) {
      if (o.doSample === true) issue('doSample', 'beam search is deterministic here; sampling with beams is not supported');
      const warpers = {
        temperature: o.temperature !== 1,
        topK: o.topK > 0,
        topP: o.topP < 1,
        typicalP: o.typicalP < 1,
        minP: o.minP > 0,
        epsilonCutoff: o.epsilonCutoff > 0,
      };
      for (const [name, set] of Object.entries(warpers)) if (set) issue(name, `is a sampling option, not used by beam search (numBeams ${o.numBeams})`);
      if (o.stop !== undefined) issue('stop', 'stop strings are not supported with beam search');
      if (o.stoppingCriteria.length > 0) issue('stoppingCriteria', 'custom stopping criteria are not supported with beam search');
      if (o.logprobs) issue('logprobs', 'per-token logprobs are not reported by beam search (see the sequence score)');
      if (o.topLogprobs > 0) issue('topLogprobs', 'per-token logprobs are not reported by beam search (see the sequence score)');
      if (o.numReturnSequences > o.numBeams) issue('numReturnSequences', `must be <= numBeams (${o.numBeams})`);
    } else if ((o.doSample === false || o.temperature === 0) && o.numReturnSequences > 1) {
      issue('numReturnSequences', 'greedy decoding returns one sequence per prompt; sample or use beams for more');
    }
  });

export type ResolvedOptions = z.output<typeof schema>;

// compile-time check that the documented interface is accepted by the schema
type Accepts<T extends z.input<typeof schema>> = T;
type _Checked = Accepts<GenerateOptions>;

/** Validates options before any work; throws InvalidOptionError naming the first bad option. */
export function parseGenerateOptions(options: unknown): ResolvedOptions {
  const result = schema.safeParse(options ?? {});
  if (result.success) return result.data;
  const first = result.error.issues[0]!;
  if (first.code === 'unrecognized_keys') throw new InvalidOptionError(first.keys[0]!, 'unknown option');
  const option = first.path.map(String).join('.') || '(options)';
  throw new InvalidOptionError(option, `${first.message}, got ${JSON.stringify(valueAt(options, first.path)) ?? 'undefined'}`);
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let v = root;
  for (const key of path) v = v !== null && typeof v === 'object' ? (v as Record<PropertyKey, unknown>)[key] : undefined;
  return typeof v === 'number' && !Number.isFinite(v) ? String(v) : v;
}
