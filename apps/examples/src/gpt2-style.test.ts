import { describe } from 'vitest';
import { GPT2_CONFIG, type GPT2Weights, buildGPT2, cacheShape, randomGPT2Weights } from './gpt2-style.js';
import { checkArchitecture } from './test-support/check-architecture.js';
import * as f64 from './test-support/naive-f64.js';

const c = GPT2_CONFIG;
const w = randomGPT2Weights(c, 1);

/** GPT-2 (Radford et al. 2019; HF GPT2LMHeadModel) in float64: logits [n, V] of one sequence. */
function naiveGPT2(weights: GPT2Weights, ids: readonly number[]): f64.Vec {
  const [n, d, eps] = [ids.length, c.nEmbd, c.layerNormEpsilon];
  const lin = (x: f64.Vec, p: { weight: Float32Array; bias?: Float32Array; shape: [number, number] }) =>
    f64.linear(x, p.weight, p.bias, n, p.shape[1], p.shape[0]);
  let x = f64.add(
    f64.lookup(weights.wte, ids, d),
    f64.lookup(
      weights.wpe,
      ids.map((_, t) => t),
      d,
    ),
  ); // token + learned position
  for (const l of weights.layers) {
    const h = f64.layerNorm(x, l.ln1.weight, l.ln1.bias, d, eps);
    x = f64.add(x, lin(f64.causalAttention(lin(h, l.q), lin(h, l.k), lin(h, l.v), n, c.nHead, d / c.nHead), l.proj));
    const h2 = f64.layerNorm(x, l.ln2.weight, l.ln2.bias, d, eps); // after the attention residual
    x = f64.add(x, lin(f64.geluTanh(lin(h2, l.fc)), l.fcProj));
  }
  return f64.linear(f64.layerNorm(x, weights.lnF.weight, weights.lnF.bias, d, eps), weights.wte, undefined, n, d, c.vocabSize); // tied head
}

describe('gpt2-style example', () => {
  checkArchitecture(
    { example: 'gpt2-style', build: () => buildGPT2(c, w), shape: cacheShape(c), vocabSize: c.vocabSize, reference: (ids) => naiveGPT2(w, ids) },
    1e-5,
  );
});
