import { bannedRangeOnly, type BannedRange } from '../checked-argmax.js';
import { generatedTokens, RowDecoder, type DecodeRow } from '../decode-row.js';
import { InvalidOptionError, InvalidPromptError } from '../errors.js';
import { Stopwatch } from '../events.js';
import type { SequencePool } from '../interfaces.js';
import { now, type GenerationRun } from '../run.js';
import { roundToBlocks } from './kv-blocks.js';
import type { RequestStream, ScheduledResult } from './request.js';

/** A request inside the scheduler: its rows, their pool sequences, and how far its prompt is prefilled. */
export class Job {
  readonly prompt: readonly number[];
  readonly decoder: RowDecoder;
  readonly rows: DecodeRow[];
  /** Pool sequence of each row; undefined before its fork and after it finished. */
  readonly seqs: (number | undefined)[];
  /** Prompt tokens fed to row 0's sequence so far. */
  prefilled = 0;
  readonly submittedAt = now();
  admittedAt: number | null = null;
  decodingAt: number | null = null;
  firstTokenAt: number | null = null;
  /** Set when the request finished, was aborted or failed (it left the scheduler's lists). */
  ended = false;
  /**
   * What a decoding row of this job asks the pool for instead of its logits (a pool entry's skipLogits, which
   * CpuGPTJPool honours; other pools write every row), or undefined. Set when RowDecoder.next picks from the pool's
   * scan alone: greedy, no processor but a banned id range, no logprobs. The pool still writes a row whose scan cannot
   * give the pick (NaN or +Infinity, nothing above -Infinity, the winner banned), so greedyPick's fallback to
   * checkedArgmax reads the real row.
   */
  readonly skipLogits: { unlessBestIn: BannedRange } | undefined;

  constructor(
    readonly run: GenerationRun,
    readonly stream: RequestStream,
  ) {
    if (run.prompts.length !== 1) {
      throw new InvalidPromptError(`Scheduler.submit takes one prompt (text or token ids), got a batch of ${run.prompts.length}; submit each`);
    }
    const { strategy, options } = run;
    if (strategy.kind === 'beam') {
      throw new InvalidOptionError('numBeams', `beam search (numBeams ${options.numBeams}) is not scheduled; run it with generate`);
    }
    this.prompt = run.prompts[0]!;
    this.decoder = new RowDecoder({ ...run, strategy }, run.model.vocabSize);
    const banned = strategy.kind === 'greedy' && !options.logprobs && options.topLogprobs === 0 ? bannedRangeOnly(run.pipeline.processors) : null;
    this.skipLogits = banned ? { unlessBestIn: banned } : undefined;
    this.rows = Array.from({ length: options.numReturnSequences }, (_, r) => this.decoder.newRow(this.prompt, r));
    this.seqs = this.rows.map(() => undefined);
  }

  get width(): number {
    return this.rows.length;
  }

  get liveRows(): number {
    return this.rows.reduce((n, row) => n + (row.done ? 0 : 1), 0);
  }

  /** KV positions (in whole blocks of `blockSize`) the job needs at most: every row up to prompt + maxNewTokens (no prefix sharing assumed). */
  worstCase(blockSize: number, rows = this.width): number {
    return rows * roundToBlocks(this.prompt.length + this.run.options.maxNewTokens, blockSize);
  }

  /** What the live rows may still take beyond what they hold. */
  remainingTokens(pool: SequencePool, blockSize: number): number {
    const full = this.worstCase(blockSize, 1);
    return this.rows.reduce((n, row, r) => {
      const seq = this.seqs[r];
      return row.done ? n : n + full - (seq === undefined ? 0 : roundToBlocks(pool.length(seq), blockSize));
    }, 0);
  }

  get aborted(): boolean {
    return this.stream.cancelled || this.run.options.signal?.aborted === true;
  }

  result(): ScheduledResult {
    const end = now();
    const admitted = this.admittedAt ?? end;
    const decoding = this.decodingAt ?? end;
    const promptTokens = this.prompt.length;
    const completionTokens = generatedTokens(this.rows);
    // wall times: the request shares each step with others
    const clock = new Stopwatch();
    clock.prefillMs = decoding - admitted;
    clock.decodeMs = end - decoding;
    const { strategy } = this.run;
    return {
      ...clock.summary(promptTokens, completionTokens),
      ...(strategy.kind === 'multinomial' ? { seed: strategy.seed } : {}),
      queuedMs: admitted - this.submittedAt,
      timeToFirstTokenMs: this.firstTokenAt === null ? null : this.firstTokenAt - this.submittedAt,
    };
  }
}
