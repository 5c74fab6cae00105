// A GPT-J 6B-shaped model with random weights generated on the GPU (nothing read from disk), and
// the byte counts the decode floor is computed from.
import { Tensor, type DType } from '@gptj/tensor';
import { type GPTJRunnerConfig, type GPTJRunnerWeights } from '@gptj/tensor/runner';
import { cudaFillRandom } from '@gptj/tensor/bench';

export const GPTJ_6B: GPTJRunnerConfig = {
  vocabSize: 50400, nEmbd: 4096, nLayer: 28, nHead: 16, nInner: 16384, rotaryDim: 64, layerNormEpsilon: 1e-5,
};

export interface RandomModel {
  weights: GPTJRunnerWeights;
  /** bytes a decode step streams from the weights (every matrix once, lm_head included; wte is a gather) */
  matrixBytes: number;
  /** multiply-accumulate parameters of the matrices (for FLOP counts) */
  matrixParams: number;
  dispose(): void;
}

/** Matrices in `wdt` (f16 or q8), embedding and layer norms f16, biases f32. */
export function randomModel(cfg: GPTJRunnerConfig, wdt: Extract<DType, 'f16' | 'q8'>, seed = 1): RandomModel {
  const all: Tensor[] = [];
  let s = seed;
  const make = (shape: number[], dtype: DType, amp: number): Tensor => {
    const t = Tensor.zeros(shape, dtype, 'cuda');
    cudaFillRandom(t, s++, amp);
    all.push(t);
    return t;
  };
  const { nEmbd: D, nInner: I, vocabSize: V } = cfg;
  // amp ~ 1/sqrt(fan_in) keeps activations O(1) through 28 random layers (values only matter for
  // staying finite; speed does not depend on them).
  const mat = (n: number, k: number) => make([n, k], wdt, 1 / Math.sqrt(k));
  const weights: GPTJRunnerWeights = {
    wte: make([V, D], 'f16', 1),
    lnfGamma: make([D], 'f16', 1), lnfBeta: make([D], 'f16', 0.1),
    lmHead: mat(V, D), lmHeadBias: make([V], 'f32', 0.01),
    layers: Array.from({ length: cfg.nLayer }, () => ({
      lnGamma: make([D], 'f16', 1), lnBeta: make([D], 'f16', 0.1),
      q: mat(D, D), k: mat(D, D), v: mat(D, D), out: mat(D, D),
      fcIn: mat(I, D), fcInBias: make([I], 'f32', 0.01),
      fcOut: mat(D, I), fcOutBias: make([D], 'f32', 0.01),
    })),
  };
  const matrixParams = cfg.nLayer * (4 * D * D + 2 * D * I) + V * D;
  // q8: 1 byte per weight plus one f32 scale per row
  const rows = cfg.nLayer * (4 * D + I + D) + V;
  const matrixBytes = wdt === 'f16' ? 2 * matrixParams : matrixParams + 4 * rows;
  return { weights, matrixBytes, matrixParams, dispose: () => all.forEach((t) => t.dispose()) };
}

/** KV-cache bytes (f16 K and V, every layer) that attention reads for `rows` rows at length `len`. */
export function kvBytes(cfg: GPTJRunnerConfig, rows: number, len: number): number {
  return cfg.nLayer * 2 * rows * len * cfg.nEmbd * 2;
}
