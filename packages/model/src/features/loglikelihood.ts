// Loglikelihood of continuations given contexts, batched: what lm-evaluation-harness's `loglikelihood`
// requests compute. The model reads (context + continuation) without its last token, truncated on the left to
// the model's context (the harness's `(context + continuation)[-(max_length + 1):][:-1]`), and the
// continuation's tokens are scored at the positions that predict them.
//
// Only those positions go through lm_head (in chunks of LM_HEAD_ROWS), so a batch never materialises the
// full [B, T, vocab] logits.
import { Tensor } from '@gptj/tensor';
import { at } from '../at.js';
import type { GPTJModel } from '../gptj.js';
import { leftPad } from './inputs.js';
import { layerStates } from './layer-states.js';
import { type TokenLogprob, scoreRow } from './log-softmax.js';
import { batchLimits, microBatches } from './micro-batches.js';

export interface LoglikelihoodRequest {
  /** At least one token (for an empty text context, lm-evaluation-harness uses the end-of-text token: see encodePair). */
  context: readonly number[];
  /** At least one token, at most the model's context. */
  continuation: readonly number[];
}

export interface LoglikelihoodResult {
  /** Sum of the continuation's token logprobs (natural log). */
  logprob: number;
  /** log p(continuation[j] | everything before it), float64 log-softmax of the f32 logits. */
  tokenLogprobs: number[];
  /** Every continuation token is the argmax of its position's logits (greedy decoding would produce it). */
  isGreedy: boolean;
  /** With opts.topLogprobs = k: per continuation token, the k most likely tokens at its position (OpenAI's top_logprobs). */
  topLogprobs?: TokenLogprob[][];
}

export interface ScoringOptions {
  /** Padded tokens per forward pass (default 2048). */
  tokenBudget?: number;
  /** Rows per forward pass (default 32). */
  batchSize?: number;
  /** Called after each micro-batch: requests scored so far, of `total`. */
  onProgress?: (p: { done: number; total: number }) => void;
}

export interface LoglikelihoodOptions extends ScoringOptions {
  /** Also return the k most likely tokens at each scored position (default 0: none). */
  topLogprobs?: number;
}

const LM_HEAD_ROWS = 512;
type Scored = ReturnType<typeof scoreRow>;

/** One result per request, in request order. */
export async function loglikelihood(
  model: GPTJModel,
  requests: readonly LoglikelihoodRequest[],
  opts: LoglikelihoodOptions = {},
): Promise<LoglikelihoodResult[]> {
  const op = 'loglikelihood';
  const limits = batchLimits(op, opts);
  const topK = opts.topLogprobs ?? 0;
  if (!Number.isInteger(topK) || topK < 0 || topK > model.vocabSize)
    throw new RangeError(`${op}: opts.topLogprobs must be an integer in [0, ${model.vocabSize}], got ${String(topK)}`);
  const inputs = Array.from(requests, (r, i) => modelInput(op, r, i, model)); // not map: a hole is a request too, refused
  const out = new Array<LoglikelihoodResult>(requests.length);
  let done = 0;
  for (const batch of microBatches(
    inputs.map((x) => x.ids.length),
    limits,
  )) {
    const rows = batch.map((i) => ({ i, ...at(inputs, i) }));
    const { ids, mask, width } = leftPad(rows.map((r) => r.ids));
    const states = await layerStates(model, ids, mask, model.config.nLayer); // [B, width, D]
    // Row b's continuation is predicted by its last C positions.
    const picks = rows.flatMap(({ continuation }, b) => continuation.map((_, j) => (b + 1) * width - continuation.length + j));
    const targets = rows.flatMap((r) => [...r.continuation]);
    const scored = await scoreRows(model, states, picks, targets, topK);
    let next = 0;
    for (const { i, continuation } of rows) {
      const mine = scored.slice(next, next + continuation.length);
      next += continuation.length;
      const result: LoglikelihoodResult = {
        logprob: mine.reduce((a, s) => a + s.logprob, 0),
        tokenLogprobs: mine.map((s) => s.logprob),
        isGreedy: mine.every((s) => s.greedy),
      };
      if (topK > 0) result.topLogprobs = mine.map((s) => s.top);
      out[i] = result;
    }
    done += batch.length;
    opts.onProgress?.({ done, total: requests.length });
  }
  return out;
}

/** lm_head over the picked rows of states [*, D], then the target's logprob (and the top k) in each. */
async function scoreRows(model: GPTJModel, states: Float32Array, picks: number[], targets: number[], topK: number): Promise<Scored[]> {
  const d = model.config.nEmbd;
  const v = model.vocabSize;
  const scored: Scored[] = [];
  for (let start = 0; start < picks.length; start += LM_HEAD_ROWS) {
    const chunk = picks.slice(start, start + LM_HEAD_ROWS);
    const rows = new Float32Array(chunk.length * d);
    chunk.forEach((p, k) => rows.set(states.subarray(p * d, (p + 1) * d), k * d));
    const h = Tensor.fromArray(rows, [1, chunk.length, d], { device: model.device });
    let logits: Float32Array;
    try {
      const t = await model.modules.lmHead.forward(h); // [1, K, V]
      logits = t.toFloat32Array();
      t.dispose();
    } finally {
      h.dispose();
    }
    targets.slice(start, start + LM_HEAD_ROWS).forEach((target, k) => scored.push(scoreRow(logits.subarray(k * v, (k + 1) * v), target, topK)));
  }
  return scored;
}

/** The ids the model reads for request i and the continuation it scores, after the checks that name what is wrong with it. */
function modelInput(op: string, r: LoglikelihoodRequest, i: number, model: GPTJModel): { ids: number[]; continuation: readonly number[] } {
  if (!r || !Array.isArray(r.context) || !Array.isArray(r.continuation))
    throw new TypeError(`${op}: request ${i} must be { context: number[], continuation: number[] }`);
  if (r.context.length === 0) throw new RangeError(`${op}: request ${i} has an empty context (use the end-of-text token, as lm-evaluation-harness does)`);
  if (r.continuation.length === 0) throw new RangeError(`${op}: request ${i} has an empty continuation`);
  if (r.continuation.length > model.maxLength) {
    throw new RangeError(`${op}: request ${i}: the continuation has ${r.continuation.length} tokens, more than the context of ${model.maxLength}`);
  }
  const all = [...r.context, ...r.continuation];
  for (const id of all) {
    if (!Number.isInteger(id) || id < 0 || id >= model.vocabSize)
      throw new RangeError(`${op}: request ${i}: token id ${id} is outside [0, ${model.vocabSize})`);
  }
  return { ids: all.slice(-(model.maxLength + 1), -1), continuation: r.continuation };
}
