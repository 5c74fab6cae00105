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
  const top: { token: number; value: number }[] = []; // largest value first
  if (k <= 0) return [];
  let floor = 0; // the last (smallest) value in `top`
  for (let v = 0; v < row.length; v++) {
    const value = row[v]!;
    if (top.length === k) {
      if (value <= floor) continue;
      top.pop();
    }
    const i = top.findIndex((t) => t.value < value); // after the equal ones: ties keep the lower id first
    top.splice(i < 0 ? top.length : i, 0, { token: v, value });
    floor = top.at(-1)?.value ?? floor;
  }
  return top.map((t) => t.token);
}
