import { describe } from 'vitest';
import { NEOX_CONFIG, type NeoXWeights, buildNeoX, cacheShape, randomNeoXWeights, rotaryDim } from './neox-style.js';
import { checkArchitecture } from './test-support/check-architecture.js';
import * as f64 from './test-support/naive-f64.js';

const c = NEOX_CONFIG;
const w = randomNeoXWeights(c, 2);

/** GPT-NeoX (Black et al. 2022; HF GPTNeoXForCausalLM, use_parallel_residual) in float64: logits [n, V]. */
function naiveNeoX(weights: NeoXWeights, ids: readonly number[]): f64.Vec {
  const [n, d, heads, eps] = [ids.length, c.hiddenSize, c.numAttentionHeads, c.layerNormEps];
  const lin = (x: f64.Vec, p: { weight: Float32Array; bias?: Float32Array; shape: [number, number] }) =>
    f64.linear(x, p.weight, p.bias, n, p.shape[1], p.shape[0]);
  const rope = (x: f64.Vec) => f64.rotaryHalf(x, n, heads, d / heads, rotaryDim(c), c.rotaryEmbBase);
  let x = f64.lookup(weights.embedIn, ids, d);
  for (const l of weights.layers) {
    const h = f64.layerNorm(x, l.inputLayernorm.weight, l.inputLayernorm.bias, d, eps);
    const attn = lin(f64.causalAttention(rope(lin(h, l.q)), rope(lin(h, l.k)), lin(h, l.v), n, heads, d / heads), l.dense);
    const h2 = f64.layerNorm(x, l.postAttentionLayernorm.weight, l.postAttentionLayernorm.bias, d, eps); // of x, not x + attn
    x = f64.add(f64.add(x, attn), lin(f64.geluErf(lin(h2, l.denseHTo4h)), l.dense4hToH));
  }
  return lin(f64.layerNorm(x, weights.finalLayerNorm.weight, weights.finalLayerNorm.bias, d, eps), weights.embedOut);
}

describe('neox-style example', () => {
  checkArchitecture(
    { example: 'neox-style', build: () => buildNeoX(c, w), shape: cacheShape(c), vocabSize: c.vocabSize, reference: (ids) => naiveNeoX(w, ids) },
    1e-5,
  );
});
