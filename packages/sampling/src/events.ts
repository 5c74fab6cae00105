import type { TokenLogprob } from './top-logprobs.js';

export type FinishReason = 'length' | 'stop' | 'eos' | 'abort';

/** A generated token of output row `row`; `text` is the newly releasable text (may be '' while held back). */
export interface TokenEvent {
  type: 'token';
  row: number;
  id: number;
  text: string;
  /** log-probability of `id` under the model (log-softmax of the raw logits), when `logprobs: true`. */
  logprob?: number;
  /** The `topLogprobs` most likely tokens at this position (raw logits, before any processor), most likely first. */
  topLogprobs?: TokenLogprob[];
}

/**
 * Row `row` is finished. `text` is the last text delta (held-back text and the decoder's tail); a row's text is
 * the concatenation of its token texts and this one. Beam search rows carry the hypothesis `score`.
 */
export interface DoneEvent {
  type: 'done';
  row: number;
  finishReason: FinishReason;
  text: string;
  score?: number;
}

export type GenerationEvent = TokenEvent | DoneEvent;

export interface GenerationUsage {
  /** Prompt tokens (each prompt once, padding not counted). */
  promptTokens: number;
  /** Tokens generated over all output rows (EOS not counted). */
  completionTokens: number;
}

export interface GenerationTiming {
  /** The prompt forward pass. */
  prefillMs: number;
  /** promptTokens / prefill time. */
  prefillTokPerS: number;
  /** Everything after the prefill: token selection and the per-token forward passes (consumer time excluded). */
  decodeMs: number;
  /** completionTokens / decode time. */
  decodeTokPerS: number;
}

export interface GenerationSummary {
  usage: GenerationUsage;
  timing: GenerationTiming;
  /** Multinomial sampling: the seed used (given or drawn), to reproduce the run. Absent for greedy and beams. */
  seed?: number | readonly number[];
}

/** Measures compute time only: the loops stop the clock while the consumer holds an event. */
export class Stopwatch {
  prefillMs = 0;
  decodeMs = 0;

  summary(promptTokens: number, completionTokens: number): GenerationSummary {
    const rate = (n: number, ms: number) => (ms > 0 ? (n * 1000) / ms : 0);
    return {
      usage: { promptTokens, completionTokens },
      timing: {
        prefillMs: this.prefillMs,
        prefillTokPerS: rate(promptTokens, this.prefillMs),
        decodeMs: this.decodeMs,
        decodeTokPerS: rate(completionTokens, this.decodeMs),
      },
    };
  }
}
