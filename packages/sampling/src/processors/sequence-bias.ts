import type { LogitsProcessor, ProcessorContext } from './types.js';

/**
 * HF SequenceBiasLogitsProcessor: a one-token sequence always biases its token; a longer one biases its last
 * token when the row's history ends with the rest of it (and the whole sequence fits the history). Biases that
 * land on the same token add up before being added to the score, in float32 as torch does.
 */
export class SequenceBiasProcessor implements LogitsProcessor {
  private readonly single: { id: number; bias: number }[] = [];
  private readonly multi: { prefix: readonly number[]; last: number; bias: number }[] = [];
  private readonly pending = new Map<number, number>();

  constructor(sequenceBias: readonly (readonly [readonly number[], number])[]) {
    const singles = new Map<number, number>();
    for (const [seq, bias] of sequenceBias) {
      if (seq.length === 0) throw new RangeError('sequence bias: empty token sequence');
      if (seq.length === 1)
        singles.set(seq[0]!, bias); // later entries replace earlier ones, like a dict
      else this.multi.push({ prefix: seq.slice(0, -1), last: seq[seq.length - 1]!, bias });
    }
    for (const [id, bias] of singles) this.single.push({ id, bias });
  }

  process(scores: Float32Array, ctx: ProcessorContext): void {
    const bias = this.pending;
    for (const { id, bias: b } of this.single) bias.set(id, Math.fround(b));
    const ids = ctx.ids;
    for (const { prefix, last, bias: b } of this.multi) {
      if (prefix.length + 1 > ids.length) continue;
      const start = ids.length - prefix.length;
      let match = true;
      for (let j = 0; j < prefix.length; j++) {
        if (ids[start + j] !== prefix[j]) {
          match = false;
          break;
        }
      }
      if (match) bias.set(last, Math.fround((bias.get(last) ?? 0) + b));
    }
    for (const [id, b] of bias) scores[id] = scores[id]! + b;
    bias.clear();
  }
}

/**
 * HF NoBadWordsLogitsProcessor: forbids token sequences (bias -Infinity on their last token). As in HF, a
 * one-token entry equal to the EOS id is dropped (use minNewTokens to delay EOS instead).
 */
export class BadWordsProcessor extends SequenceBiasProcessor {
  constructor(badWordsIds: readonly (readonly number[])[], eosTokenIds: readonly number[] = []) {
    const kept = badWordsIds.filter((seq) => !(seq.length === 1 && eosTokenIds.includes(seq[0]!)));
    super(kept.map((seq) => [seq, -Infinity] as const));
  }
}
