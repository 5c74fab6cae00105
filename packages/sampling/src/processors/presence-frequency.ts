import { Scratch } from './softmax-stats.js';
import type { LogitsProcessor, ProcessorContext } from './types.js';

/**
 * OpenAI's presence and frequency penalties: score[j] -= count[j] * frequencyPenalty + (count[j] > 0) * presencePenalty,
 * where count[j] is how many times token j was generated so far in this row (the prompt does not count).
 */
export class PresenceFrequencyPenaltyProcessor implements LogitsProcessor {
  private readonly scratch = new Scratch();

  constructor(
    readonly presencePenalty: number,
    readonly frequencyPenalty: number,
  ) {}

  process(scores: Float32Array, ctx: ProcessorContext): void {
    const counts = this.scratch.int32(scores.length);
    const { ids, promptLength } = ctx;
    for (let i = promptLength; i < ids.length; i++) counts[ids[i]!]!++;
    for (let i = promptLength; i < ids.length; i++) {
      const id = ids[i]!;
      const c = counts[id]!;
      if (c === 0) continue; // already applied for this id
      scores[id] = scores[id]! - (c * this.frequencyPenalty + this.presencePenalty);
      counts[id] = 0;
    }
  }
}
