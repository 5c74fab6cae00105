// The bridge from a loaded GPTJModel to @gptj/tensor's CUDA GPT-J runner (the whole decode step in one
// native call, replayed as a CUDA graph). The runner reads the very tensors the layer objects hold:
// no second copy of the weights is made.
import { type DType, type GPTJRunner, createGPTJRunner } from '@gptj/tensor';
import type { GPTJConfig } from './config.js';
import type { GPTJWeights } from './gptj.js';

const RUNNER_MATRIX_DTYPES: readonly DType[] = ['f16', 'bf16', 'q8'];

/**
 * Why the runner cannot run this model (null when it can). It fuses the tanh gelu and keeps matrices in
 * f16/bf16/q8 with heads of at most 256 dims; anything else decodes through the layer kit on CUDA.
 */
export function runnerUnsupported(config: GPTJConfig, matrixDType: DType): string | null {
  if (!RUNNER_MATRIX_DTYPES.includes(matrixDType)) return `the CUDA runner needs f16, bf16 or q8 weights, not ${matrixDType}`;
  if (config.activationFunction === 'gelu') return 'the CUDA runner fuses the tanh gelu, this model uses the exact one';
  const headDim = config.nEmbd / config.nHead;
  if (headDim > 256) return `the CUDA runner supports heads of at most 256 dims, this model has ${headDim}`;
  return null;
}

/** A runner over the model's CUDA weights; they must outlive it (GPTJModel.dispose disposes the runner first). */
export function createRunner(config: GPTJConfig, w: GPTJWeights): GPTJRunner {
  return createGPTJRunner(
    {
      vocabSize: config.vocabSize, nEmbd: config.nEmbd, nLayer: config.nLayer, nHead: config.nHead,
      nInner: config.nInner, rotaryDim: config.rotaryDim, layerNormEpsilon: config.layerNormEpsilon,
    },
    {
      wte: w.wte.table,                                               // [V, D]
      lnfGamma: w.lnF.gamma, lnfBeta: w.lnF.beta,                     // [D] f32
      lmHead: w.lmHead.weight, lmHeadBias: requireBias(w.lmHead.bias, 'lm_head'), // [V, D], [V]
      layers: w.blocks.map((b, i) => {
        const { attnNorm, attn, mlp } = b.parts;
        return {
          lnGamma: attnNorm.gamma, lnBeta: attnNorm.beta,             // [D]
          q: attn.opts.q.weight, k: attn.opts.k.weight, v: attn.opts.v.weight, out: attn.opts.out.weight, // [D, D]
          fcIn: mlp.fcIn.weight, fcInBias: requireBias(mlp.fcIn.bias, `h.${i}.mlp.fc_in`),                 // [I, D], [I]
          fcOut: mlp.fcOut.weight, fcOutBias: requireBias(mlp.fcOut.bias, `h.${i}.mlp.fc_out`),            // [D, I], [D]
        };
      }),
    },
  );
}

function requireBias<T>(bias: T | undefined, name: string): T {
  if (!bias) throw new RangeError(`${name} has no bias; GPT-J's always does`);
  return bias;
}
