import { topKIndices } from '../select.js';
import { maxOf, Scratch } from './softmax-stats.js';
import type { LogitsProcessor } from './types.js';

/**
 * Min-p (HF MinPLogitsWarper): removes tokens whose probability is below minP times the top token's probability,
 * i.e. exp(s - max) < minP; the minTokensToKeep best (torch.topk order) always stay.
 */
export class MinPProcessor implements LogitsProcessor {
  private readonly scratch = new Scratch();

  constructor(
    readonly minP: number,
    readonly minTokensToKeep = 1,
  ) {
    if (!(minP >= 0 && minP <= 1)) throw new RangeError(`minP must be in [0, 1], got ${minP}`);
  }

  process(scores: Float32Array): void {
    const V = scores.length;
    const max = maxOf(scores);
    if (max === -Infinity) return;
    const keep = this.scratch.flags(V);
    const protectedIds = this.scratch.int32(V);
    const nProtected = topKIndices(scores, Math.min(this.minTokensToKeep, V), protectedIds, this.scratch.float32(V));
    for (let j = 0; j < nProtected; j++) keep[protectedIds[j]!] = 1;
    const minP = this.minP;
    for (let i = 0; i < V; i++) {
      const v = scores[i]!;
      if (v !== -Infinity && keep[i] === 0 && Math.exp(v - max) < minP) scores[i] = -Infinity;
    }
    for (let j = 0; j < nProtected; j++) keep[protectedIds[j]!] = 0;
  }
}
