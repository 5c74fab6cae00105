// Summaries of what `gptj eval` scores; the loglikelihoods, greedy matches and multiple-choice picks themselves
// come from @gptj/model (loglikelihood, scoreMultipleChoice), computed as EleutherAI's lm-evaluation-harness does.

/** One LAMBADA-style example: its continuation's loglikelihood, greedy match and token count. */
export interface PairScore {
  logprob: number;
  isGreedy: boolean;
  tokens: number;
}

export function summarize(scores: readonly PairScore[]) {
  const examples = scores.length;
  const logLikelihood = scores.reduce((a, s) => a + s.logprob, 0);
  const tokens = scores.reduce((a, s) => a + s.tokens, 0);
  return {
    examples,
    accuracy: examples ? scores.filter((s) => s.isGreedy).length / examples : 0,
    // exp of the mean negative log-likelihood per continuation token
    perplexity: Math.exp(-logLikelihood / Math.max(tokens, 1)),
    // lm-evaluation-harness' LAMBADA "perplexity": exp of the mean per-example negative log-likelihood
    // (the figure the GPT-J model card reports, 3.99 on LAMBADA)
    lambada_perplexity: Math.exp(-logLikelihood / Math.max(examples, 1)),
    log_likelihood: logLikelihood,
    continuation_tokens: tokens,
  };
}
