/** What a processor may look at besides the scores: the row's token history. */
export interface ProcessorContext {
  /** Every token of the row so far, prompt first, then the generated tokens (no padding). */
  readonly ids: readonly number[];
  /** How many leading entries of `ids` are the prompt. */
  readonly promptLength: number;
}

/**
 * One step of the logits pipeline: rewrites one row of scores (Float32Array [V], a view into the batch's logits)
 * in place. Removed tokens become -Infinity, as in Hugging Face transformers (filter_value).
 */
export interface LogitsProcessor {
  process(scores: Float32Array, ctx: ProcessorContext): void;
}

/** Runs processors in order (Hugging Face `LogitsProcessorList`); itself a processor, so lists compose. */
export class LogitsProcessorList implements LogitsProcessor {
  readonly processors: readonly LogitsProcessor[];

  constructor(processors: readonly LogitsProcessor[] = []) {
    this.processors = processors;
  }

  get length(): number {
    return this.processors.length;
  }

  process(scores: Float32Array, ctx: ProcessorContext): void {
    for (const p of this.processors) p.process(scores, ctx);
  }
}
