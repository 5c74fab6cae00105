// Scoring a continuation the way LAMBADA is scored for the GPT-J model card (EleutherAI's lm-evaluation-harness):
// the log-likelihood of the continuation tokens given the context, and whether greedy decoding would have
// produced exactly those tokens.

/** Log-likelihood of `targets` under rows firstRow.. of logits [T, V] (row r predicts the token after position r). */
export function scoreContinuation(
  logits: Float32Array,
  vocab: number,
  firstRow: number,
  targets: readonly number[],
): { logLikelihood: number; greedy: boolean } {
  let logLikelihood = 0;
  let greedy = true;
  targets.forEach((target, j) => {
    const row = logits.subarray((firstRow + j) * vocab, (firstRow + j + 1) * vocab);
    let max = -Infinity;
    let arg = 0;
    for (let v = 0; v < vocab; v++) {
      if (row[v] > max) {
        max = row[v];
        arg = v;
      }
    }
    let sum = 0; // log-sum-exp in float64, shifted by the max
    for (let v = 0; v < vocab; v++) sum += Math.exp(row[v] - max);
    logLikelihood += row[target] - max - Math.log(sum);
    if (arg !== target) greedy = false;
  });
  return { logLikelihood, greedy };
}

/**
 * Token ids of context and continuation, split like the harness does: encode the whole string and take the part
 * after the context's own encoding (so a BPE merge across the boundary is not split differently from how the model
 * saw it in training); falls back to encoding the continuation alone when the prefixes disagree. A trailing space of
 * the context moves to the continuation first. An empty context becomes the end-of-text token.
 */
export function splitEncode(
  encode: (text: string) => number[],
  context: string,
  continuation: string,
  eosTokenId: number,
): { contextIds: number[]; continuationIds: number[] } {
  const trailing = context.length - context.trimEnd().length;
  if (trailing > 0) {
    continuation = context.slice(context.length - trailing) + continuation;
    context = context.slice(0, context.length - trailing);
  }
  if (context === '') return { contextIds: [eosTokenId], continuationIds: encode(continuation) };
  const whole = encode(context + continuation);
  const contextIds = encode(context);
  const prefixMatches = contextIds.every((id, i) => whole[i] === id);
  return { contextIds, continuationIds: prefixMatches ? whole.slice(contextIds.length) : encode(continuation) };
}

export interface EvalTotals {
  examples: number;
  greedyMatches: number;
  logLikelihood: number;
  continuationTokens: number;
  /** Sum over examples of -logLikelihood (for the harness's perplexity, a mean over documents). */
  nllPerExample: number[];
}

export function summarize(t: EvalTotals) {
  return {
    examples: t.examples,
    accuracy: t.examples ? t.greedyMatches / t.examples : 0,
    // exp of the mean negative log-likelihood per continuation token
    perplexity: Math.exp(-t.logLikelihood / Math.max(t.continuationTokens, 1)),
    // lm-evaluation-harness' LAMBADA "perplexity": exp of the mean per-example negative log-likelihood
    // (the figure the GPT-J model card reports, 3.99 on LAMBADA)
    lambada_perplexity: Math.exp(t.nllPerExample.reduce((a, b) => a + b, 0) / Math.max(t.examples, 1)),
    log_likelihood: t.logLikelihood,
    continuation_tokens: t.continuationTokens,
  };
}
