// Bring your own architecture (2 of 2): a GPT-NeoX-style language model (Pythia, GPT-NeoX-20B) assembled from
// @gptj/layers, random weights. Against GPT-J: rotary in the 'half' layout (pairs (x_i, x_{i + r/2}) instead of
// interleaved) on rotary_pct of each head, a parallel residual with two LayerNorms
// (x + attn(input_layernorm(x)) + mlp(post_attention_layernorm(x))), biases on q, k, v and the output projection,
// exact GELU, and an untied LM head without bias. Its test checks the logits and the greedy tokens against a
// float64 reference.
//
// Run: node apps/examples/dist/neox-style.js
import { fileURLToPath } from 'node:url';
import { Decoder, Embedding, MLP, MultiHeadAttention, ParallelResidualBlock, RotaryEmbedding } from '@gptj/layers';
import { Tensor } from '@gptj/tensor';
import { type CacheShape, printDemo } from './run-decoder.js';
import { type NormWeights, type ProjWeights, randomNorm, randomProj, seededUniform, toLayerNorm, toLinear } from './weights.js';

/** Hugging Face GPTNeoXConfig names (use_parallel_residual true, hidden_act gelu). */
export const NEOX_CONFIG = {
  vocabSize: 512,
  maxPositionEmbeddings: 64,
  hiddenSize: 128,
  numAttentionHeads: 4,
  numHiddenLayers: 2,
  intermediateSize: 512,
  rotaryPct: 0.25,
  rotaryEmbBase: 10000,
  layerNormEps: 1e-5,
};
export type NeoXConfig = typeof NEOX_CONFIG;

// GPT-NeoX stores query_key_value as one [3D, D] projection, interleaved per head; here q, k, v are separate.
export interface NeoXLayer {
  inputLayernorm: NormWeights;
  q: ProjWeights;
  k: ProjWeights;
  v: ProjWeights;
  dense: ProjWeights;
  postAttentionLayernorm: NormWeights;
  denseHTo4h: ProjWeights;
  dense4hToH: ProjWeights;
}
export interface NeoXWeights {
  embedIn: Float32Array;
  layers: NeoXLayer[];
  finalLayerNorm: NormWeights;
  embedOut: ProjWeights;
}

export const rotaryDim = (c: NeoXConfig) => Math.floor((c.hiddenSize / c.numAttentionHeads) * c.rotaryPct);

export function randomNeoXWeights(c: NeoXConfig, seed: number): NeoXWeights {
  const u = seededUniform(seed);
  const [d, i] = [c.hiddenSize, c.intermediateSize];
  const layer = (): NeoXLayer => ({
    inputLayernorm: randomNorm(u, d),
    q: randomProj(u, d, d),
    k: randomProj(u, d, d),
    v: randomProj(u, d, d),
    dense: randomProj(u, d, d),
    postAttentionLayernorm: randomNorm(u, d),
    denseHTo4h: randomProj(u, i, d),
    dense4hToH: randomProj(u, d, i),
  });
  return {
    embedIn: u(c.vocabSize * d, 1),
    layers: Array.from({ length: c.numHiddenLayers }, layer),
    finalLayerNorm: randomNorm(u, d),
    embedOut: randomProj(u, c.vocabSize, d, false),
  };
}

export function buildNeoX(c: NeoXConfig, w: NeoXWeights): Decoder {
  const eps = c.layerNormEps;
  const rotary = new RotaryEmbedding({ rotaryDim: rotaryDim(c), style: 'half', base: c.rotaryEmbBase });
  return new Decoder({
    tokens: new Embedding(Tensor.fromArray(w.embedIn, [c.vocabSize, c.hiddenSize])), // no position table: rotary
    blocks: w.layers.map(
      (l) =>
        new ParallelResidualBlock({
          // two norms, side by side
          attnNorm: toLayerNorm(l.inputLayernorm, eps),
          attn: new MultiHeadAttention({ q: toLinear(l.q), k: toLinear(l.k), v: toLinear(l.v), out: toLinear(l.dense), heads: c.numAttentionHeads, rotary }),
          mlpNorm: toLayerNorm(l.postAttentionLayernorm, eps),
          mlp: new MLP(toLinear(l.denseHTo4h), toLinear(l.dense4hToH), 'gelu'),
        }),
    ),
    finalNorm: toLayerNorm(w.finalLayerNorm, eps),
    head: toLinear(w.embedOut), // untied, no bias
  });
}

export const cacheShape = (c: NeoXConfig): CacheShape => ({
  nLayer: c.numHiddenLayers,
  nHead: c.numAttentionHeads,
  headDim: c.hiddenSize / c.numAttentionHeads,
  maxLength: c.maxPositionEmbeddings,
});

async function main(): Promise<void> {
  const c = NEOX_CONFIG;
  const model = buildNeoX(c, randomNeoXWeights(c, 2));
  console.log(
    `GPT-NeoX-style: ${c.numHiddenLayers} layers, d_model ${c.hiddenSize}, ${c.numAttentionHeads} heads, vocab ${c.vocabSize}, half rotary on ${rotaryDim(c)} of ${c.hiddenSize / c.numAttentionHeads} dims, parallel residual with two norms, random weights (seed 2)`,
  );
  await printDemo(model, cacheShape(c), c.vocabSize);
  model.dispose();
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
