import type { LogitsProcessor, ProcessorContext } from './types.js';

/**
 * HF NoRepeatNGramLogitsProcessor: bans every token that would complete an n-gram already present in the row's
 * history (prompt included). A linear scan for earlier occurrences of the last n-1 tokens: O(history * n) per step.
 */
export class NoRepeatNGramProcessor implements LogitsProcessor {
  constructor(readonly ngramSize: number) {
    if (!Number.isInteger(ngramSize) || ngramSize < 1) throw new RangeError(`ngram size must be an integer >= 1, got ${ngramSize}`);
  }

  process(scores: Float32Array, ctx: ProcessorContext): void {
    const ids = ctx.ids;
    const n = this.ngramSize;
    const L = ids.length;
    if (L + 1 < n) return;
    const tail = L - (n - 1); // start of the current (n-1)-token prefix
    for (let i = 0; i + n <= L; i++) {
      let match = true;
      for (let j = 0; j < n - 1; j++) {
        if (ids[i + j] !== ids[tail + j]) {
          match = false;
          break;
        }
      }
      if (match) scores[ids[i + n - 1]!] = -Infinity;
    }
  }
}
