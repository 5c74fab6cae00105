import { sortIdsDescending } from '../select.js';
import { MassCut } from './mass-cut.js';
import { expShifted, maxOf, Scratch } from './softmax-stats.js';
import type { LogitsProcessor } from './types.js';

/**
 * Locally typical sampling (HF TypicalLogitsWarper): order tokens by |-log p - H| (H the entropy) ascending, find
 * the first token at which the cumulative probability reaches typicalP, and remove every token whose shift is
 * larger than that token's (ties stay); the minTokensToKeep first of the order always stay. O(V): the order is
 * never fully sorted (see MassCut).
 */
export class TypicalPProcessor implements LogitsProcessor {
  private readonly scratch = new Scratch();
  private readonly massCut = new MassCut(this.scratch);

  constructor(
    readonly typicalP: number,
    readonly minTokensToKeep = 1,
  ) {
    if (!(typicalP > 0 && typicalP <= 1)) throw new RangeError(`typicalP must be in (0, 1], got ${typicalP}`);
  }

  process(scores: Float32Array): void {
    const V = scores.length;
    const max = maxOf(scores);
    if (max === -Infinity) return;
    const prob = this.scratch.float64(V, 0);
    const key = this.scratch.float64(V, 1); // -shift: descending key = ascending shift
    const z = expShifted(scores, max, prob);
    const logZ = Math.log(z) + max;
    let entropy = 0;
    for (let i = 0; i < V; i++) {
      prob[i] = prob[i]! / z;
      if (prob[i]! > 0) entropy -= (scores[i]! - logZ) * prob[i]!;
    }
    for (let i = 0; i < V; i++) {
      const v = scores[i]!;
      key[i] = v === -Infinity ? -Infinity : -Math.abs(logZ - v - entropy);
    }
    const keep = this.scratch.flags(V);
    const mass = this.typicalP;
    const { stopId } = this.massCut.run(key, prob, V, (before, p) => !(before + p < mass), keep);
    keep.fill(0, 0, V);
    if (stopId < 0) return;
    const thr = key[stopId]!;
    let kept = 0;
    for (let i = 0; i < V; i++) if (key[i]! >= thr) kept++;
    if (kept < this.minTokensToKeep) {
      // rare: fewer typical tokens than minTokensToKeep; protect the first ones of the full order
      const ids = this.scratch.int32(V);
      let n = 0;
      for (let i = 0; i < V; i++) if (scores[i]! !== -Infinity) ids[n++] = i;
      sortIdsDescending(ids, n, key);
      for (let j = 0; j < Math.min(this.minTokensToKeep, n); j++) keep[ids[j]!] = 1;
    }
    for (let i = 0; i < V; i++) {
      if (key[i]! < thr && keep[i] === 0 && scores[i]! !== -Infinity) scores[i] = -Infinity;
      keep[i] = 0;
    }
  }
}
