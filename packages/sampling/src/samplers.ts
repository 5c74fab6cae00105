import { SamplingError } from './errors.js';
import { expShifted, maxOf, Scratch } from './processors/softmax-stats.js';
import { Xoshiro128 } from './rng.js';

/** Greedy decoding: the highest score; ties go to the lowest id (torch.argmax). */
export class GreedySampler {
  readonly kind = 'greedy';

  select(scores: Float32Array): number {
    let best = 0;
    let bestScore = -Infinity;
    for (let i = 0; i < scores.length; i++) {
      if (scores[i]! > bestScore) {
        bestScore = scores[i]!;
        best = i;
      }
    }
    if (bestScore === -Infinity) throw new SamplingError('every token was removed by the logits processors; nothing to choose from');
    return best;
  }
}

/**
 * Draws a token from softmax(scores) with its own seeded xoshiro128** stream: the same (seed, stream) gives the
 * same tokens on every run and platform for the same scores.
 */
export class MultinomialSampler {
  readonly kind = 'multinomial';
  private readonly rng: Xoshiro128;
  private readonly scratch = new Scratch();

  constructor(
    readonly seed: number,
    readonly stream = 0,
  ) {
    this.rng = Xoshiro128.seeded(seed, stream);
  }

  select(scores: Float32Array): number {
    const V = scores.length;
    const max = maxOf(scores);
    if (max === -Infinity) throw new SamplingError('every token was removed by the logits processors; nothing to sample from');
    const weights = this.scratch.float64(V);
    const z = expShifted(scores, max, weights);
    const u = this.rng.nextFloat() * z;
    let cum = 0;
    for (let i = 0; i < V; i++) {
      cum += weights[i]!;
      if (u < cum) return i;
    }
    // u landed in the rounding gap at the very top: the last token with a weight
    let last = V - 1;
    while (last > 0 && weights[last] === 0) last--;
    return last;
  }
}

/** The per-token samplers (beam search is a separate loop: see BeamSearch). */
export type Sampler = GreedySampler | MultinomialSampler;
