// Rolling-window perplexity of one long token sequence, the method of transformers' perplexity guide: windows
// of `maxLength` tokens starting every `stride` tokens; each window scores only the tokens no earlier window
// scored, with up to maxLength - stride tokens of context before the new ones: every token but the first
// when stride < maxLength; with stride = maxLength (disjoint windows) the first token of each window is not
// scored either, as in the guide (it has no context). ppl = exp(sum of their negative loglikelihoods / their count).
// (The guide's code weights each window's mean loss by trg_len - 1 tokens while it averages over trg_len when
// stride < max_length; here the denominator is the exact count of scored tokens.) The windows are batched like
// any loglikelihood requests.
import type { GPTJModel } from '../gptj.js';
import { type LoglikelihoodRequest, type ScoringOptions, loglikelihood } from './loglikelihood.js';

export interface PerplexityOptions extends ScoringOptions {
  /** Window length (default and maximum: the model's context). */
  maxLength?: number;
  /** Tokens between window starts, 1..maxLength (default maxLength / 2, rounded up). */
  stride?: number;
}

export interface PerplexityResult {
  perplexity: number;
  /** Sum of the scored tokens' negative loglikelihoods (natural log). */
  nll: number;
  /** Tokens scored. */
  tokens: number;
  windows: number;
  /** The window length and stride used (the defaults filled in). */
  maxLength: number;
  stride: number;
}

/** Window [begin, end) scores the tokens [start, end); windows with nothing new to score are left out. */
export function perplexityWindows(length: number, maxLength: number, stride: number): { begin: number; start: number; end: number }[] {
  const windows: { begin: number; start: number; end: number }[] = [];
  let prevEnd = 0;
  for (let begin = 0; ; begin += stride) {
    const end = Math.min(begin + maxLength, length);
    const start = Math.max(prevEnd, begin + 1);
    if (start < end) windows.push({ begin, start, end });
    prevEnd = end;
    if (end === length) return windows;
  }
}

/** The windows of a rolling perplexity, as loglikelihood requests, with the window length and stride used. */
export interface PerplexityPlan {
  requests: LoglikelihoodRequest[];
  maxLength: number;
  stride: number;
}

/** Checks the options against the model and cuts `ids` into windows (see the top of this file). */
export function perplexityPlan(
  model: Pick<GPTJModel, 'maxLength'>,
  ids: readonly number[],
  opts: Pick<PerplexityOptions, 'maxLength' | 'stride'> = {},
): PerplexityPlan {
  const op = 'rollingPerplexity';
  const maxLength = opts.maxLength ?? model.maxLength;
  if (!Number.isInteger(maxLength) || maxLength < 2 || maxLength > model.maxLength) {
    throw new RangeError(`${op}: maxLength must be an integer in [2, ${model.maxLength}], got ${String(opts.maxLength)}`);
  }
  const stride = opts.stride ?? Math.ceil(maxLength / 2);
  if (!Number.isInteger(stride) || stride < 1 || stride > maxLength)
    throw new RangeError(`${op}: stride must be an integer in [1, ${maxLength}], got ${String(opts.stride)}`);
  if (!Array.isArray(ids) || ids.length < 2) throw new RangeError(`${op}: need at least 2 tokens, got ${Array.isArray(ids) ? ids.length : typeof ids}`);
  const requests = perplexityWindows(ids.length, maxLength, stride).map((w) => ({
    context: ids.slice(w.begin, w.start),
    continuation: ids.slice(w.start, w.end),
  }));
  return { requests, maxLength, stride };
}

/**
 * The perplexity of the plan's first `scores.length` windows, given their loglikelihood scores in order: all of
 * them for the result, fewer for a partial one (an interrupted evaluation).
 */
export function perplexityOf(plan: PerplexityPlan, scores: readonly { logprob: number }[]): PerplexityResult {
  // More scores than windows would add their logprobs to the nll but no tokens to the count: a wrong perplexity.
  if (scores.length > plan.requests.length) throw new RangeError(`perplexityOf: ${scores.length} scores for a plan of ${plan.requests.length} windows`);
  const nll = -scores.reduce((a, s) => a + s.logprob, 0);
  const tokens = plan.requests.slice(0, scores.length).reduce((a, r) => a + r.continuation.length, 0);
  return { perplexity: Math.exp(nll / tokens), nll, tokens, windows: scores.length, maxLength: plan.maxLength, stride: plan.stride };
}

export async function rollingPerplexity(model: GPTJModel, ids: readonly number[], opts: PerplexityOptions = {}): Promise<PerplexityResult> {
  const plan = perplexityPlan(model, ids, opts);
  return perplexityOf(plan, await loglikelihood(model, plan.requests, opts));
}
