// `n` and `best_of` as sibling sequences: the scheduler forks them from one prefill of the prompt (they share its KV
// cache up to the prompt's end), one slot each. Greedy decoding would make every sibling the same, so it runs one
// sequence and copies it (sampling's options refuse greedy numReturnSequences > 1).
import type { GenerateOptions } from '@gptj/sampling';
import type { Engine, GeneratedChoice } from './engine.js';
import { ApiError } from './errors.js';

export interface SiblingPlan {
  /** Sequences generated (numReturnSequences). */
  rows: number;
  /** Choices returned per prompt (n). */
  n: number;
}

/** How many siblings a request generates; 400 for best_of < n or more siblings than the server has slots. */
export function siblingPlan(engine: Engine, body: { n?: number; best_of?: number; temperature?: number }): SiblingPlan {
  const n = body.n ?? 1;
  const bestOf = body.best_of ?? n;
  if (bestOf < n) throw new ApiError(400, `best_of: must be at least n (${n}), got ${bestOf}`, 'invalid_request_error', 'best_of');
  const param = body.best_of === undefined ? 'n' : 'best_of';
  if (bestOf > engine.parallel) {
    throw new ApiError(
      400,
      `${param}: at most ${engine.parallel} (the server's parallel slots: each sibling takes one), got ${bestOf}`,
      'invalid_request_error',
      param,
    );
  }
  return { rows: (body.temperature ?? 1) === 0 ? 1 : bestOf, n };
}

/** Generation options for the plan: its sibling count, and token logprobs to rank by when best_of > n. */
export function withSiblings(options: GenerateOptions, plan: SiblingPlan): GenerateOptions {
  return { ...options, numReturnSequences: plan.rows, ...(plan.rows > plan.n ? { logprobs: true } : {}) };
}

/** Mean log-probability per token (OpenAI's best_of criterion); an empty sequence ranks last. */
function meanLogprob(c: GeneratedChoice): number {
  return c.logprobs.length === 0 ? -Infinity : c.logprobs.reduce((a, b) => a + b, 0) / c.logprobs.length;
}

/** The n choices to return: the best n of best_of siblings (stable for ties), or the greedy sequence n times. */
export function pickChoices(generated: readonly GeneratedChoice[], plan: SiblingPlan): GeneratedChoice[] {
  if (generated.length === 1) return Array.from({ length: plan.n }, () => generated[0]!);
  if (generated.length === plan.n) return [...generated];
  return generated
    .map((c, i) => ({ c, i, score: meanLogprob(c) }))
    .sort((a, b) => b.score - a.score || a.i - b.i)
    .slice(0, plan.n)
    .map((x) => x.c);
}

/** The output indices a generated row streams to: greedy's one row stands for all n. */
export function streamIndices(row: number, plan: SiblingPlan): number[] {
  return plan.rows === 1 ? Array.from({ length: plan.n }, (_, i) => i) : [row];
}
