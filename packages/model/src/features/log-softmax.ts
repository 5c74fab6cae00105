import { at } from '../at.js';

/** A token and its log-probability. */
export interface TokenLogprob {
  token: number;
  logprob: number;
}

/**
 * log softmax(row)[target] in float64 (shifted by the row's max), whether target is the row's argmax (first max
 * wins, like torch), and the `topK` most likely tokens, most likely first (ties: lower id first).
 */
export function scoreRow(row: Float32Array, target: number, topK = 0): { logprob: number; greedy: boolean; top: TokenLogprob[] } {
  let max = -Infinity;
  let arg = 0;
  // Hot (once per scored token over the whole vocabulary): indexed loops, v < row.length on each line.
  for (let v = 0; v < row.length; v++) {
    if (row[v]! > max) {
      max = row[v]!;
      arg = v;
    }
  }
  let sum = 0;
  for (let v = 0; v < row.length; v++) sum += Math.exp(row[v]! - max);
  const logZ = max + Math.log(sum);
  return { logprob: at(row, target) - logZ, greedy: arg === target, top: topTokens(row, topK).map((token) => ({ token, logprob: at(row, token) - logZ })) };
}

/** Indices of the k largest values, largest first; an insertion into a sorted list of k (k is small: top logprobs). */
function topTokens(row: Float32Array, k: number): number[] {
  const top: number[] = []; // ids, largest value first; every id in it indexes `row`
  if (k <= 0) return top;
  for (let v = 0; v < row.length; v++) {
    const x = row[v]!;
    if (top.length === k && x <= row[top[k - 1]!]!) continue;
    let i = top.length === k ? k - 1 : top.length;
    while (i > 0 && row[top[i - 1]!]! < x) {
      top[i] = top[i - 1]!;
      i--;
    }
    top[i] = v;
  }
  return top;
}
