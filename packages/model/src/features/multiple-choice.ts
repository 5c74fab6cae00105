// Multiple-choice scoring as lm-evaluation-harness's `multiple_choice` tasks do it: one loglikelihood request
// per choice, (context, targetDelimiter + choice), then
//   acc         argmax of the loglikelihoods,
//   acc_norm    argmax of loglikelihood / len(choice): the choice's length in characters (Python's len, i.e.
//               Unicode code points) without the delimiter, as the harness's `completion_len`,
//   acc_norm_tokens  argmax of loglikelihood / the continuation's token count (the per-token average).
// Ties go to the first choice, like np.argmax.
import type { GPTJModel } from '../gptj.js';
import { at } from '../at.js';
import { encodePair } from './encode-pair.js';
import type { Encode } from './inputs.js';
import { type LoglikelihoodRequest, type ScoringOptions, loglikelihood } from './loglikelihood.js';

export interface MultipleChoiceItem {
  context: string;
  choices: readonly string[];
}

export interface MultipleChoiceResult {
  loglikelihoods: number[];
  /** Tokens in each choice's continuation (delimiter included). */
  tokenCounts: number[];
  isGreedy: boolean[];
  /** Index of the highest loglikelihood (acc). */
  pred: number;
  /** Highest loglikelihood per character of the choice (acc_norm). */
  predNorm: number;
  /** Highest loglikelihood per token (acc_norm by tokens). */
  predNormTokens: number;
}

export interface MultipleChoiceOptions extends ScoringOptions {
  encode: Encode;
  /** Put between the context and each choice; lm-evaluation-harness's default target_delimiter is ' '. */
  targetDelimiter?: string;
  /** Context for an empty context text (default: the model's eos_token_id). */
  eosTokenId?: number;
}

/** One result per item, in item order; all choices of all items are scored as one batched list. */
export async function scoreMultipleChoice(
  model: GPTJModel,
  items: readonly MultipleChoiceItem[],
  opts: MultipleChoiceOptions,
): Promise<MultipleChoiceResult[]> {
  const op = 'scoreMultipleChoice';
  const delimiter = opts.targetDelimiter ?? ' ';
  const eos = opts.eosTokenId ?? model.eosTokenId;
  if (eos === null || eos === undefined) throw new RangeError(`${op}: the model has no eos_token_id; pass opts.eosTokenId`);
  const requests: LoglikelihoodRequest[] = [];
  // entries(), not forEach: it visits the holes of a sparse list, which must be refused like any other non-item.
  for (const [i, item] of items.entries()) {
    if (typeof item?.context !== 'string' || !Array.isArray(item.choices) || item.choices.length < 2) {
      throw new TypeError(`${op}: item ${i} must be { context: string, choices: string[] } with at least 2 choices`);
    }
    for (const [c, choice] of item.choices.entries()) {
      if (typeof choice !== 'string' || choice === '') throw new RangeError(`${op}: item ${i}: choice ${c} must be a non-empty string`);
      const request = encodePair(opts.encode, item.context, delimiter + choice, eos);
      if (request.continuation.length > model.maxLength) {
        throw new RangeError(`${op}: item ${i}: choice ${c} has ${request.continuation.length} tokens, more than the context of ${model.maxLength}`);
      }
      requests.push(request);
    }
  }
  const scores = await loglikelihood(model, requests, opts);
  let next = 0;
  return items.map((item) => {
    const n = item.choices.length;
    const mine = scores.slice(next, next + n); // one score and one request per choice
    const tokenCounts = requests.slice(next, next + n).map((r) => r.continuation.length);
    next += n;
    const lls = mine.map((s) => s.logprob);
    return {
      loglikelihoods: lls,
      tokenCounts,
      isGreedy: mine.map((s) => s.isGreedy),
      pred: argmax(lls),
      predNorm: argmax(item.choices.map((choice, c) => at(lls, c) / [...choice].length)),
      predNormTokens: argmax(tokenCounts.map((count, c) => at(lls, c) / count)),
    };
  });
}

/** Share of items whose prediction is the label, for each of acc, acc_norm and acc_norm_tokens. */
export function multipleChoiceAccuracy(
  results: readonly MultipleChoiceResult[],
  labels: readonly number[],
): { acc: number; accNorm: number; accNormTokens: number } {
  if (results.length !== labels.length || results.length === 0) {
    throw new RangeError(`multipleChoiceAccuracy: need as many labels as results (at least one), got ${labels.length} and ${results.length}`);
  }
  const share = (pick: (r: MultipleChoiceResult) => number) => results.filter((r, i) => pick(r) === labels[i]).length / results.length;
  return { acc: share((r) => r.pred), accNorm: share((r) => r.predNorm), accNormTokens: share((r) => r.predNormTokens) };
}

function argmax(xs: readonly number[]): number {
  let best = 0;
  for (const [i, x] of xs.entries()) if (x > at(xs, best)) best = i;
  return best;
}
