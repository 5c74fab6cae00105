import { kthLargest } from '../select.js';
import { maxOf, Scratch, sumExp } from './softmax-stats.js';
import type { LogitsProcessor } from './types.js';

/**
 * Epsilon sampling (HF EpsilonLogitsWarper): removes tokens with probability < epsilon, except those scoring at
 * least the minTokensToKeep-th best score.
 */
export class EpsilonProcessor implements LogitsProcessor {
  private readonly scratch = new Scratch();

  constructor(
    readonly epsilon: number,
    readonly minTokensToKeep = 1,
  ) {
    if (!(epsilon > 0 && epsilon < 1)) throw new RangeError(`epsilon must be in (0, 1), got ${epsilon}`);
  }

  process(scores: Float32Array): void {
    const V = scores.length;
    const max = maxOf(scores);
    if (max === -Infinity) return;
    const z = sumExp(scores, max);
    const floor = kthLargest(scores, Math.min(this.minTokensToKeep, V), this.scratch.float32(V));
    for (let i = 0; i < V; i++) {
      const v = scores[i]!;
      if (v !== -Infinity && v < floor && Math.exp(v - max) / z < this.epsilon) scores[i] = -Infinity;
    }
  }
}
