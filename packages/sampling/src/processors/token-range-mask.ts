import type { LogitsProcessor } from './types.js';

/**
 * Bans the token ids start..end-1. GPT-J pads its 50257-token GPT-2 vocabulary to 50400 logits; ids 50257..50399
 * were never trained and must not be sampled (see GPTJ_UNUSED_TOKEN_RANGE).
 */
export class TokenRangeMaskProcessor implements LogitsProcessor {
  constructor(
    readonly start: number,
    readonly end: number,
  ) {
    if (!(Number.isInteger(start) && Number.isInteger(end) && 0 <= start && start <= end)) {
      throw new RangeError(`token range must be integers 0 <= start <= end, got [${start}, ${end})`);
    }
  }

  process(scores: Float32Array): void {
    scores.fill(-Infinity, this.start, Math.min(this.end, scores.length));
  }
}
