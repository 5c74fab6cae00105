import type { LogitsProcessor } from './types.js';

/**
 * Runs after the biases and penalties, which compute in float32 as torch does and can overflow: a repetition penalty
 * of 1e-45 divides a positive score to +Infinity, two sequence biases of 3e38 on one token add up to it. torch's row
 * then holds inf (and NaN where -inf meets +inf) and its sampler fails. Here such a row becomes the limit of softmax:
 * the +Infinity entries are the certain tokens (score 0, drawn uniformly when several), every other token is removed.
 * A NaN entry (-Infinity + Infinity: a token both banned and forced) counts as removed.
 */
export class OverflowLimitProcessor implements LogitsProcessor {
  process(scores: Float32Array): void {
    let certain = false;
    for (let i = 0; i < scores.length; i++) {
      const v = scores[i]!;
      if (v === Infinity) certain = true;
      else if (v !== v) scores[i] = -Infinity;
    }
    if (!certain) return;
    for (let i = 0; i < scores.length; i++) scores[i] = scores[i] === Infinity ? 0 : -Infinity;
  }
}
