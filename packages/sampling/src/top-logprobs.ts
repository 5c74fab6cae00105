/** One alternative at a position: a token and its log-probability under the model. */
export interface TokenLogprob {
  id: number;
  logprob: number;
}

/**
 * The n most likely tokens of a raw logits row as log-softmax values (`lse` = logSumExp(raw)), most likely first,
 * ties to the lower id (OpenAI's `top_logprobs`). One pass with a sorted list of n (n <= 20): most entries lose a
 * single comparison against the current n-th best.
 */
export function topLogprobs(raw: Float32Array, lse: number, n: number): TokenLogprob[] {
  const k = Math.min(n, raw.length);
  const ids: number[] = [];
  const vals: number[] = [];
  for (let i = 0; i < raw.length; i++) {
    const v = raw[i]!;
    if (v === -Infinity || (ids.length === k && v <= vals[k - 1]!)) continue;
    let j = ids.length === k ? k - 1 : ids.length;
    while (j > 0 && vals[j - 1]! < v) {
      vals[j] = vals[j - 1]!;
      ids[j] = ids[j - 1]!;
      j--;
    }
    vals[j] = v;
    ids[j] = i;
  }
  return ids.map((id, j) => ({ id, logprob: vals[j]! - lse }));
}
