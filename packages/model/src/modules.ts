// The layer-kit objects over a GPTJModel's weights, for the per-op path (forward, hiddenStates, GPTJSession,
// the features' CUDA fallback). They read the very tensors the model holds and own none of them: the model
// disposes its weights, never these objects.
import type { Tensor } from '@gptj/tensor';
import { Embedding, LayerNorm, Linear, MLP, MultiHeadAttention, ParallelResidualBlock, RotaryEmbedding } from '@gptj/layers';
import type { GPTJConfig } from './config.js';
import type { GPTJWeights } from './gptj.js';

export interface GPTJModules {
  wte: Embedding; // [V, D]
  blocks: ParallelResidualBlock[]; // n_layer
  lnF: LayerNorm; // [D]
  lmHead: Linear; // [V, D] + bias [V]
}

/** GPT-J's blocks: x + attn(ln_1(x)) + mlp(ln_1(x)), attention without biases, interleaved rotary. */
export function gptjModules(config: GPTJConfig, w: GPTJWeights): GPTJModules {
  const rotary = new RotaryEmbedding({ rotaryDim: config.rotaryDim, style: 'interleaved' });
  const activation = config.activationFunction === 'gelu' ? 'gelu' : 'gelu_tanh';
  const norm = (gamma: Tensor, beta: Tensor) => new LayerNorm(gamma, beta, config.layerNormEpsilon);
  return {
    wte: new Embedding(w.wte),
    blocks: w.layers.map(
      (l) =>
        new ParallelResidualBlock({
          attnNorm: norm(l.lnGamma, l.lnBeta),
          attn: new MultiHeadAttention({
            q: new Linear(l.q),
            k: new Linear(l.k),
            v: new Linear(l.v),
            out: new Linear(l.out),
            heads: config.nHead,
            rotary,
          }),
          mlp: new MLP(new Linear(l.fcIn, l.fcInBias), new Linear(l.fcOut, l.fcOutBias), activation),
        }),
    ),
    lnF: norm(w.lnfGamma, w.lnfBeta),
    lmHead: new Linear(w.lmHead, w.lmHeadBias),
  };
}
