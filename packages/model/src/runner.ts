// The bridge from a loaded GPTJModel to @gptj/tensor's GPT-J runners: the whole forward step in one
// native call, on the CPU (a libuv worker job) or on CUDA (replayed as a CUDA graph). The runner reads
// the very tensors the layer objects hold: no second copy of the weights is made.
import { type CpuGPTJRunner, type DType, type DeviceName, type GPTJRunner, type GPTJRunnerConfig, type GPTJRunnerWeights, type Tensor,
  createCpuGPTJRunner, createGPTJRunner } from '@gptj/tensor';
import type { GPTJConfig } from './config.js';
import type { GPTJWeights } from './gptj.js';

const RUNNER_MATRIX_DTYPES: readonly DType[] = ['f16', 'bf16', 'q8'];

/**
 * Why the CUDA runner cannot run this model (null when it can; the CPU runner runs every GPT-J). It fuses the tanh gelu and keeps matrices in
 * f16/bf16/q8 with heads of at most 256 dims; anything else decodes through the layer kit on CUDA.
 */
export function runnerUnsupported(config: GPTJConfig, matrixDType: DType): string | null {
  if (!RUNNER_MATRIX_DTYPES.includes(matrixDType)) return `the CUDA runner needs f16, bf16 or q8 weights, not ${matrixDType}`;
  if (config.activationFunction === 'gelu') return 'the CUDA runner fuses the tanh gelu, this model uses the exact one';
  const headDim = config.nEmbd / config.nHead;
  if (headDim > 256) return `the CUDA runner supports heads of at most 256 dims, this model has ${headDim}`;
  return null;
}

/**
 * A runner over the model's weights on `device`; they must outlive it (GPTJModel.dispose disposes the
 * runner first). The CPU runner takes every weight dtype and both activations.
 */
export function createRunner(config: GPTJConfig, w: GPTJWeights, device: DeviceName): GPTJRunner | CpuGPTJRunner {
  const runnerConfig: GPTJRunnerConfig = {
    vocabSize: config.vocabSize, nEmbd: config.nEmbd, nLayer: config.nLayer, nHead: config.nHead,
    nInner: config.nInner, rotaryDim: config.rotaryDim, layerNormEpsilon: config.layerNormEpsilon,
    activation: config.activationFunction === 'gelu' ? 'gelu' : 'gelu_new', // gelu_pytorch_tanh is the same tanh form
  };
  const weights = runnerWeights(w);
  return device === 'cuda' ? createGPTJRunner(runnerConfig, weights) : createCpuGPTJRunner(runnerConfig, weights);
}

function runnerWeights(w: GPTJWeights): GPTJRunnerWeights {
  return {
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
  };
}

function requireBias(bias: Tensor | undefined, name: string): Tensor {
  if (!bias) throw new RangeError(`${name} has no bias; GPT-J's always does`);
  return bias;
}
