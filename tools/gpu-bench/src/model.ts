// A GPT-J 6B-shaped model with random weights generated on the GPU (nothing read from disk), and
// the byte counts the decode floor is computed from.
import { Tensor, type DType } from '@gptj/tensor';
import { type GPTJRunnerConfig, type GPTJRunnerWeights, buildRunnerWeights } from '@gptj/tensor/runner';
import { cudaFillRandom } from '@gptj/tensor/bench';

export const GPTJ_6B: GPTJRunnerConfig = {
  vocabSize: 50400,
  nEmbd: 4096,
  nLayer: 28,
  nHead: 16,
  nInner: 16384,
  rotaryDim: 64,
  layerNormEpsilon: 1e-5,
};

export interface RandomModel {
  weights: GPTJRunnerWeights;
  /** bytes a decode step streams from the weights (every matrix once, lm_head included; wte is a gather) */
  matrixBytes: number;
  /** multiply-accumulate parameters of the matrices (for FLOP counts) */
  matrixParams: number;
  dispose(): void;
}

/** Matrices in `wdt` (f16 or q8), embedding and layer norms f16, biases f32: the weight list (gptjWeightSpecs) filled on the device. */
export function randomModel(cfg: GPTJRunnerConfig, wdt: Extract<DType, 'f16' | 'q8'>, seed = 1): RandomModel {
  const all: Tensor[] = [];
  let s = seed;
  let matrixParams = 0,
    rows = 0;
  // amp ~ 1/sqrt(fan_in) keeps activations O(1) through 28 random layers (values only matter for
  // staying finite; speed does not depend on them).
  const weights = buildRunnerWeights(cfg, ({ key, role, shape }) => {
    const [out, fanIn] = shape as [number, number]; // matrices are [out, in]; only they read these
    const [dtype, amp]: [DType, number] =
      role === 'matrix' ? [wdt, 1 / Math.sqrt(fanIn)] : role === 'bias' ? ['f32', 0.01] : ['f16', key === 'lnBeta' || key === 'lnfBeta' ? 0.1 : 1];
    if (role === 'matrix') {
      matrixParams += out * fanIn;
      rows += out;
    }
    const t = Tensor.zeros(shape, dtype, 'cuda');
    all.push(t);
    cudaFillRandom(t, s++, amp);
    return t;
  });
  // q8: 1 byte per weight plus one f32 scale per row
  const matrixBytes = wdt === 'f16' ? 2 * matrixParams : matrixParams + 4 * rows;
  return { weights, matrixBytes, matrixParams, dispose: () => all.forEach((t) => t.dispose()) };
}

/** KV-cache bytes (f16 K and V, every layer) that attention reads for `rows` rows at length `len`. */
export function kvBytes(cfg: GPTJRunnerConfig, rows: number, len: number): number {
  return cfg.nLayer * 2 * rows * len * cfg.nEmbd * 2;
}
