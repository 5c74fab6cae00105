/** max |a - b| over the compared elements divided by max |ref|: "error relative to the largest reference logit". */
export { relErr as relToMax } from '@gptj/tensor/testing';

export function argmax(a: Float32Array, from = 0, to = a.length): number {
  let best = from;
  for (let i = from + 1; i < to; i++) if (a[i]! > a[best]!) best = i; // from <= best, i < to <= a.length
  return best - from;
}
