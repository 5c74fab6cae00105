import type { LogitsProcessor, ProcessorContext } from './types.js';

/** HF MinNewTokensLengthLogitsProcessor: EOS gets -Infinity until the row has generated minNewTokens tokens. */
export class MinNewTokensProcessor implements LogitsProcessor {
  constructor(
    readonly minNewTokens: number,
    readonly eosTokenIds: readonly number[],
  ) {}

  process(scores: Float32Array, ctx: ProcessorContext): void {
    if (ctx.ids.length - ctx.promptLength >= this.minNewTokens) return;
    for (const id of this.eosTokenIds) scores[id] = -Infinity;
  }
}
