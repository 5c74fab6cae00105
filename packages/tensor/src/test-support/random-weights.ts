// Random GPT-J runner weights for the runner tests, built from the weight list (gptj-weights.ts).
import type { DType } from '../dtype.js';
import { type GPTJWeightDims, type RunnerWeights, buildRunnerWeights } from '../gptj-weights.js';
import { Tensor } from '../tensor.js';
import { prod, randArray } from './reference.js';

/**
 * Matrices and wte in `dtype` (wte f16 for q4), uniform in [-1, 1) (wte [-2, 2)); LayerNorm gains 1 + 0.01 i, so no norm flattens
 * the signal; LayerNorm shifts and biases f32 in [-1, 1). Tensor k of the list is drawn from seed `seed + k`.
 */
export function randomRunnerWeights(c: GPTJWeightDims, dtype: DType, seed: number): RunnerWeights<Tensor> {
  let next = seed;
  return buildRunnerWeights(c, ({ key, role, shape }) => {
    if (key === 'lnGamma' || key === 'lnfGamma')
      return Tensor.fromArray(
        Array.from({ length: shape[0] }, (_, i) => 1 + 0.01 * i),
        shape,
      );
    const amp = role === 'embedding' ? 2 : 1;
    // wte of q4 weights is f16: the runners gather its rows, and q4 has no row gather
    const embedding = dtype === 'q4' ? 'f16' : dtype;
    return Tensor.fromArray(randArray(prod(shape), next++, -amp, amp), shape, { dtype: role === 'matrix' ? dtype : role === 'embedding' ? embedding : 'f32' });
  });
}
