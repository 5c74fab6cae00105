// Token ids for benchmarks that run a model (tools/bench's table, `gptj bench`): a fixed prompt and greedy decoding,
// so runs, and the two tools, time the same work.
import { argmax } from './ops/index-ops.js';
import { Tensor } from './tensor.js';

/** GPT-2's 50257 BPE tokens: GPT-J's ids above them are padding (`<|extratoken_n|>`), never a real prompt's. */
const GPT2_TOKENS = 50257;

/** `n` pseudo-random ids (a fixed LCG from `seed`) below min(vocabSize, 50257): the same prompt on every run. */
export function benchIds(n: number, vocabSize: number, seed = 12345): number[] {
  const vocab = Math.min(vocabSize, GPT2_TOKENS);
  let s = seed;
  return Array.from({ length: n }, () => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return s % vocab;
  });
}

/** The greedy next id of each of `rows` equal rows of `logits` (the tensor argmax: the first id on ties). */
export function greedyIds(logits: Float32Array, rows = 1): number[] {
  const x = Tensor.fromArray(logits, [rows, logits.length / rows]);
  const ids = argmax(x);
  x.dispose();
  const out = Array.from(ids.toInt32Array());
  ids.dispose();
  return out;
}
