// Bring your own architecture (1 of 2): a GPT-2-style language model assembled from @gptj/layers, random weights.
// GPT-2 differs from GPT-J in three ways, each one line below: learned absolute position embeddings (no rotary),
// sequential residual blocks with two LayerNorms (x += attn(ln_1(x)); x += mlp(ln_2(x))), and an LM head tied to
// the token embeddings. Its test checks the logits and the greedy tokens against a float64 reference.
//
// Run: node apps/examples/dist/gpt2-style.js
import { fileURLToPath } from 'node:url';
import { Decoder, Embedding, Linear, MLP, MultiHeadAttention, SequentialResidualBlock } from '@gptj/layers';
import { Tensor } from '@gptj/tensor';
import { type CacheShape, printDemo } from './run-decoder.js';
import { type NormWeights, type ProjWeights, randomNorm, randomProj, seededUniform, toLayerNorm, toLinear } from './weights.js';

/** Hugging Face GPT2Config names; n_inner is 4 * n_embd, activation gelu_new. */
export const GPT2_CONFIG = { vocabSize: 512, nPositions: 64, nEmbd: 64, nHead: 4, nLayer: 2, layerNormEpsilon: 1e-5 };
export type GPT2Config = typeof GPT2_CONFIG;

// GPT-2 stores c_attn as one [D, 3D] Conv1D; here q, k, v are separate [out, in] projections (split and transposed).
export interface GPT2Layer {
  ln1: NormWeights;
  q: ProjWeights;
  k: ProjWeights;
  v: ProjWeights;
  proj: ProjWeights;
  ln2: NormWeights;
  fc: ProjWeights;
  fcProj: ProjWeights;
}
export interface GPT2Weights {
  wte: Float32Array;
  wpe: Float32Array;
  layers: GPT2Layer[];
  lnF: NormWeights;
}

export function randomGPT2Weights(c: GPT2Config, seed: number): GPT2Weights {
  const u = seededUniform(seed);
  const d = c.nEmbd;
  const layer = (): GPT2Layer => ({
    ln1: randomNorm(u, d),
    q: randomProj(u, d, d),
    k: randomProj(u, d, d),
    v: randomProj(u, d, d),
    proj: randomProj(u, d, d),
    ln2: randomNorm(u, d),
    fc: randomProj(u, 4 * d, d),
    fcProj: randomProj(u, d, 4 * d),
  });
  return { wte: u(c.vocabSize * d, 1), wpe: u(c.nPositions * d, 1), layers: Array.from({ length: c.nLayer }, layer), lnF: randomNorm(u, d) };
}

export function buildGPT2(c: GPT2Config, w: GPT2Weights): Decoder {
  const eps = c.layerNormEpsilon;
  const wte = Tensor.fromArray(w.wte, [c.vocabSize, c.nEmbd]);
  return new Decoder({
    tokens: new Embedding(wte),
    positions: new Embedding(Tensor.fromArray(w.wpe, [c.nPositions, c.nEmbd])), // learned positions
    blocks: w.layers.map(
      (l) =>
        new SequentialResidualBlock({
          // two norms, one after the other
          attnNorm: toLayerNorm(l.ln1, eps),
          attn: new MultiHeadAttention({ q: toLinear(l.q), k: toLinear(l.k), v: toLinear(l.v), out: toLinear(l.proj), heads: c.nHead }),
          mlpNorm: toLayerNorm(l.ln2, eps),
          mlp: new MLP(toLinear(l.fc), toLinear(l.fcProj), 'gelu_tanh'),
        }),
    ),
    finalNorm: toLayerNorm(w.lnF, eps),
    head: new Linear(wte), // tied to the token embeddings
  });
}

export const cacheShape = (c: GPT2Config): CacheShape => ({ nLayer: c.nLayer, nHead: c.nHead, headDim: c.nEmbd / c.nHead, maxLength: c.nPositions });

async function main(): Promise<void> {
  const c = GPT2_CONFIG;
  const model = buildGPT2(c, randomGPT2Weights(c, 1));
  console.log(
    `GPT-2-style: ${c.nLayer} layers, d_model ${c.nEmbd}, ${c.nHead} heads, vocab ${c.vocabSize}, ${c.nPositions} learned positions, tied head, random weights (seed 1)`,
  );
  await printDemo(model, cacheShape(c), c.vocabSize);
  model.dispose();
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
