import { Scratch } from './softmax-stats.js';
import type { LogitsProcessor, ProcessorContext } from './types.js';

/**
 * HF RepetitionPenaltyLogitsProcessor (CTRL paper): for every distinct token anywhere in the row's history (prompt
 * included), a positive score is divided by the penalty and a negative one multiplied by it.
 */
export class RepetitionPenaltyProcessor implements LogitsProcessor {
  private readonly scratch = new Scratch();
  private readonly p: number;

  constructor(readonly penalty: number) {
    if (!(penalty > 0) || !Number.isFinite(penalty)) throw new RangeError(`repetition penalty must be > 0, got ${penalty}`);
    this.p = Math.fround(penalty); // torch applies the float32-rounded scalar
  }

  process(scores: Float32Array, ctx: ProcessorContext): void {
    const seen = this.scratch.flags(scores.length);
    const p = this.p;
    for (const id of ctx.ids) {
      if (seen[id] === 1) continue;
      seen[id] = 1;
      const s = scores[id]!;
      scores[id] = s < 0 ? s * p : s / p;
    }
    for (const id of ctx.ids) seen[id] = 0;
  }
}
