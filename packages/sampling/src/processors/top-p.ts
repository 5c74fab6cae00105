import { topKIndices } from '../select.js';
import { MassCut } from './mass-cut.js';
import { expShifted, maxOf, Scratch } from './softmax-stats.js';
import type { LogitsProcessor } from './types.js';

/**
 * Nucleus filtering (HF TopPLogitsWarper): in ascending order of score, tokens whose cumulative probability is
 * <= 1 - topP are removed; the minTokensToKeep best always stay. Equivalently, walking down from the best token,
 * a token is removed once 1 - (mass of the tokens above it) <= 1 - topP. Among tied scores the lower id ranks
 * higher (what HF's output shows for the tie at the top of the fixture). O(V): no sort of the row (see MassCut).
 */
export class TopPProcessor implements LogitsProcessor {
  private readonly scratch = new Scratch();
  private readonly massCut = new MassCut(this.scratch);

  constructor(
    readonly topP: number,
    readonly minTokensToKeep = 1,
  ) {
    if (!(topP > 0 && topP <= 1)) throw new RangeError(`topP must be in (0, 1], got ${topP}`);
  }

  process(scores: Float32Array): void {
    const V = scores.length;
    const max = maxOf(scores);
    if (max === -Infinity) return;
    const prob = this.scratch.float64(V);
    const z = expShifted(scores, max, prob);
    for (let i = 0; i < V; i++) prob[i] = prob[i]! / z;
    const cut = 1 - this.topP;
    const keep = this.scratch.flags(V);
    const { stopId, flagged } = this.massCut.run(scores, prob, V, (before) => 1 - before <= cut, keep);
    if (stopId >= 0 && flagged < this.minTokensToKeep) {
      const best = this.scratch.int32(V);
      const n = topKIndices(scores, Math.min(this.minTokensToKeep, V), best, this.scratch.float32(V));
      for (let j = 0; j < n; j++) keep[best[j]!] = 1;
    }
    for (let i = 0; i < V; i++) {
      if (stopId >= 0 && keep[i] === 0) scores[i] = -Infinity;
      keep[i] = 0;
    }
  }
}
