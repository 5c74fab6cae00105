import { bannedRangeOnly, greedyPick, type BannedRange } from './checked-argmax.js';
import { checkLogits, InvalidLogitsError } from './errors.js';
import type { DoneEvent, FinishReason, GenerationEvent, TokenEvent } from './events.js';
import type { TextTokenizer } from './interfaces.js';
import type { ResolvedOptions } from './options.js';
import type { Pipeline } from './pipeline.js';
import type { ProcessorContext } from './processors/types.js';
import { logSumExp } from './processors/softmax-stats.js';
import { RowText } from './row-text.js';
import { GreedySampler, MultinomialSampler, type Sampler } from './samplers.js';
import type { DecodingStrategy } from './strategy.js';
import { topLogprobs } from './top-logprobs.js';

/** One output row being decoded: its history (prompt first), text state and sampler. */
export interface DecodeRow {
  readonly ids: number[];
  readonly promptLength: number;
  readonly text: RowText;
  readonly sampler: Sampler;
  done: boolean;
}

type TokenStrategy = Extract<DecodingStrategy, { kind: 'greedy' | 'multinomial' }>;

/** What the rows of one generation share: the processors, samplers' seeds, stops and stopping rules. */
export interface RowSpec {
  tokenizer: TextTokenizer;
  options: ResolvedOptions;
  strategy: TokenStrategy;
  pipeline: Pipeline;
  eosTokenIds: readonly number[];
  stops: readonly string[];
}

/**
 * The per-row logic of greedy / multinomial decoding, shared by `generate`'s batch loop and the Scheduler so that
 * both choose the same tokens and emit the same events for the same logits: processors, warpers, the row's sampler,
 * EOS, stop strings, stopping criteria, maxNewTokens, logprobs.
 */
export class RowDecoder {
  private readonly greedySampler = new GreedySampler();
  private readonly raw: Float32Array | null;
  private readonly topN: number;
  /** Greedy with only a banned range in the processors: one checked argmax pass instead of check, then select. */
  private readonly greedyBanned: BannedRange | null;

  constructor(
    readonly spec: RowSpec,
    vocabSize: number,
  ) {
    const o = spec.options;
    this.topN = o.topLogprobs;
    this.greedyBanned = spec.strategy.kind === 'greedy' ? bannedRangeOnly(spec.pipeline.processors) : null;
    this.raw = o.logprobs || this.topN > 0 ? new Float32Array(vocabSize) : null;
  }

  /** Output row r's state; its sampler is stream r of the seed, or stream 0 of seed[r]. */
  newRow(prompt: readonly number[], r: number): DecodeRow {
    const { strategy } = this.spec;
    let sampler: Sampler = this.greedySampler;
    if (strategy.kind === 'multinomial') {
      const { seed } = strategy;
      sampler = typeof seed === 'number' ? new MultinomialSampler(seed, r) : new MultinomialSampler(seed[r]!, 0);
    }
    return { ids: [...prompt], promptLength: prompt.length, text: new RowText(this.spec.tokenizer, this.spec.stops), sampler, done: false };
  }

  /**
   * Picks row `r`'s next token from its logits `scores` (rewritten in place) and returns the events that releases:
   * a token event, then a done event if the row ended (EOS alone gives just the done event). `scanArgmax` and
   * `scanFirstBad`: a scan of the raw row already made (see greedyPick), or -1.
   */
  next(row: DecodeRow, r: number, scores: Float32Array, scanArgmax = -1, scanFirstBad = -1): GenerationEvent[] {
    const { options: o, pipeline, eosTokenIds } = this.spec;
    // a scan made elsewhere already found the first bad logit, if any: checkLogits's outcome without its pass
    const scanned = scanArgmax >= 0;
    if (scanned && scanFirstBad >= 0) throw new InvalidLogitsError(r, scanFirstBad, scores[scanFirstBad]!);
    // greedy's fast path picks while it checks (checked-argmax.ts); the processors still rewrite the row, as documented
    const fastPick = this.greedyBanned ? greedyPick(scores, r, this.greedyBanned, scanArgmax, scanFirstBad) : null;
    if (fastPick === null && !scanned) checkLogits(scores, r);
    const raw = this.raw;
    const lse = raw ? (raw.set(scores), logSumExp(scores)) : 0;
    const ctx = { ids: row.ids, promptLength: row.promptLength };
    pipeline.processors.process(scores, ctx);
    const id = fastPick ?? this.select(row, scores, ctx);
    if (eosTokenIds.includes(id)) return [this.finish(row, r, 'eos')];
    row.ids.push(id);
    const { text, stopped } = row.text.write(id);
    const token: TokenEvent = { type: 'token', row: r, id, text };
    if (raw) token.logprob = raw[id]! - lse;
    if (raw && this.topN > 0) token.topLogprobs = topLogprobs(raw, lse, this.topN);
    if (stopped) return [token, this.finish(row, r, 'stop')];
    if (o.stoppingCriteria.some((c) => c(row.ids, ctx))) return [token, this.finish(row, r, 'criterion')];
    if (row.ids.length - row.promptLength >= o.maxNewTokens) return [token, this.finish(row, r, 'length')];
    return [token];
  }

  /** The processed row's token: the greedy argmax, or a draw from the warped candidates. */
  private select(row: DecodeRow, scores: Float32Array, ctx: ProcessorContext): number {
    const { strategy, pipeline } = this.spec;
    const cand = strategy.kind === 'greedy' ? { scores, ids: null } : pipeline.warpers.run(scores, ctx);
    const pick = row.sampler.select(cand.scores);
    return cand.ids ? cand.ids[pick]! : pick;
  }

  /** Ends the row: a stop string drops the held-back text; a custom stopping criterion keeps it (reason 'stop'). */
  finish(row: DecodeRow, r: number, reason: FinishReason | 'criterion'): DoneEvent {
    row.done = true;
    const tail = reason === 'stop' ? { text: '', stopped: true } : row.text.end();
    return { type: 'done', row: r, finishReason: tail.stopped || reason === 'criterion' ? 'stop' : reason, text: tail.text };
  }
}

/** Tokens generated by the rows (EOS not counted). */
export const generatedTokens = (rows: readonly DecodeRow[]): number => rows.reduce((s, row) => s + row.ids.length - row.promptLength, 0);
