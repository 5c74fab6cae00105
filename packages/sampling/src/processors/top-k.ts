import { kthLargest } from '../select.js';
import { Scratch } from './softmax-stats.js';
import type { LogitsProcessor } from './types.js';

/**
 * Keeps the k highest scores (HF TopKLogitsWarper): k = min(max(topK, minTokensToKeep), V), and every score equal
 * to the k-th largest is kept too (HF removes only `scores < kth`). Cost: one pass with a size-k heap.
 */
export class TopKProcessor implements LogitsProcessor {
  private readonly scratch = new Scratch();

  constructor(
    readonly topK: number,
    readonly minTokensToKeep = 1,
  ) {
    if (!Number.isInteger(topK) || topK < 1) throw new RangeError(`topK must be an integer >= 1, got ${topK}`);
  }

  process(scores: Float32Array): void {
    const k = Math.min(Math.max(this.topK, this.minTokensToKeep), scores.length);
    const thr = kthLargest(scores, k, this.scratch.float32(scores.length));
    for (let i = 0; i < scores.length; i++) if (scores[i]! < thr) scores[i] = -Infinity;
  }
}
