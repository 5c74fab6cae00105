import { InvalidOptionError } from '../errors.js';
import type { GenerationEvent } from '../events.js';
import { prepare } from '../generate.js';
import type { CausalLM, SequencePool, TextTokenizer } from '../interfaces.js';
import type { GenerateOptions } from '../options.js';
import { now } from '../run.js';
import { QueueFullError, SchedulerClosedError, SchedulerStepError, SequencePoolError } from './errors.js';
import { Job } from './job.js';
import { RequestStream, type ScheduledRequest } from './request.js';
import { parseSchedulerOptions, type ResolvedSchedulerOptions, type SchedulerOptions, type StepStats } from './scheduler-options.js';
import { SessionSequencePool } from './session-pool.js';

export interface SchedulerStats {
  /** Requests holding slots (prefilling or decoding). */
  active: number;
  /** Requests waiting for a slot. */
  queued: number;
  /** The pool's free KV positions. */
  freeTokens: number;
  /** Sequence slots in use (a request with numReturnSequences n holds n of them). */
  sequences: number;
}

/**
 * One pool entry of a step: a prefill chunk of a job (row null) or the last token of one of its rows. A decoding row
 * whose pick comes from the pool's scan alone carries its job's skipLogits (Job.skipLogits): a pool that honours it
 * (CpuGPTJPool) does not write that row's logits (6.4 MB a step at 32 mini-code rows).
 */
interface Entry {
  job: Job;
  row: number | null;
  id: number;
  ids: number[];
  skipLogits?: Job['skipLogits'];
}

/**
 * Continuous batching over a SequencePool: requests are admitted FIFO into free sequence slots, and every step
 * advances all of them together: each decoding row by one token, and prefilling requests by chunks of their prompt
 * (at most `prefillChunk` prompt tokens per step in all, so a long prompt does not stall the decoding rows). A
 * request with numReturnSequences n is prefilled once, then forked into n sibling sequences. Tokens are chosen by
 * the same per-row code as `generate` (RowDecoder), so with the same prompt, options and seed the texts and ids are
 * the same. A finished, aborted (`signal`) or abandoned (consumer `break`) request frees its slots at the next step.
 *
 * Admission reserves the worst case (every row reaching prompt + maxNewTokens), so a running request never
 * runs out of KV memory; a request that could never fit is refused at submit.
 */
export class Scheduler {
  private readonly pool: SequencePool;
  private readonly options: ResolvedSchedulerOptions;
  private readonly capacity: number;
  /** The pool's blockSize, read once (a native pool's getter is a call across Node-API). */
  private readonly blockSize: number;
  private readonly queue: Job[] = [];
  private readonly active: Job[] = [];
  private running = false;
  private closed = false;
  private poolDisposed = false;
  private drained: { promise: Promise<void>; resolve: () => void } | null = null;
  /** Every step's logits go here (grown to the most entries a step has had): no fresh array per step. */
  private logits = new Float32Array(0);
  /** Each entry's row scan, when the pool makes one (SequencePool.step's `best`); -1 where it does not. */
  private best = new Int32Array(0);

  constructor(
    private readonly model: CausalLM,
    private readonly tokenizer: TextTokenizer,
    options: SchedulerOptions = {},
  ) {
    this.options = parseSchedulerOptions(options);
    const { maxSequences, kvDtype, maxTokens } = this.options;
    const poolOptions = { maxSequences, ...(kvDtype ? { kvDtype } : {}), ...(maxTokens ? { maxTokens } : {}) };
    this.pool = model.createSequencePool?.(poolOptions) ?? new SessionSequencePool(model, poolOptions);
    const { blockSize } = this.pool;
    if (!(Number.isInteger(blockSize) && blockSize >= 1)) {
      this.pool.dispose();
      throw new SequencePoolError(`the model's sequence pool reports blockSize ${String(blockSize)}; it must be a positive integer`);
    }
    this.blockSize = blockSize;
    this.capacity = this.pool.freeTokens;
  }

  get stats(): SchedulerStats {
    return {
      active: this.active.length,
      queued: this.queue.length,
      freeTokens: this.pool.freeTokens,
      sequences: this.active.reduce((n, job) => n + job.liveRows, 0),
    };
  }

  /**
   * Queues one prompt; validates everything now (the errors of `generate`, plus: beam search is refused naming
   * numBeams, numReturnSequences must fit maxSequences). QueueFullError when maxQueue requests already wait beyond
   * the free slots; SchedulerClosedError after close().
   */
  submit(prompt: string | readonly number[], options: GenerateOptions = {}): ScheduledRequest {
    if (this.closed) throw new SchedulerClosedError();
    const stream = new RequestStream(() => this.kick());
    const job = new Job(prepare(this.model, this.tokenizer, prompt, options), stream);
    const { maxSequences, maxQueue } = this.options;
    if (job.width > maxSequences) {
      throw new InvalidOptionError('numReturnSequences', `${job.width} sequences do not fit the scheduler's ${maxSequences} slots (maxSequences)`);
    }
    const need = job.worstCase(this.blockSize);
    if (need > this.capacity) {
      throw new InvalidOptionError(
        'maxNewTokens',
        `${job.width} x (prompt ${job.prompt.length} + maxNewTokens ${job.run.options.maxNewTokens}) = ${need} KV positions; the pool holds ${this.capacity}`,
      );
    }
    if (this.waitingAfter(job) > maxQueue) throw new QueueFullError(maxQueue);
    this.queue.push(job);
    this.kick();
    return stream;
  }

  /** Stops admitting; resolves when every admitted and queued request has finished, then frees the pool. */
  close(): Promise<void> {
    this.closed = true;
    if (!this.drained) {
      let resolve!: () => void;
      const promise = new Promise<void>((r) => (resolve = r));
      this.drained = { promise, resolve };
    }
    this.settleClose();
    return this.drained.promise;
  }

  private settleClose(): void {
    if (!this.drained || this.poolDisposed || this.running || this.queue.length > 0 || this.active.length > 0) return;
    this.poolDisposed = true;
    this.pool.dispose();
    this.drained.resolve();
  }

  /** Requests that would wait for a slot (not admissible now, FIFO) if `job` joined the queue. */
  private waitingAfter(job: Job): number {
    let slots = this.freeSlots();
    let tokens = this.freeTokens();
    let waiting = 0;
    for (const j of [...this.queue, job]) {
      const need = j.worstCase(this.blockSize);
      if (waiting === 0 && j.width <= slots && need <= tokens) {
        slots -= j.width;
        tokens -= need;
      } else waiting++;
    }
    return waiting;
  }

  private freeSlots(): number {
    return this.options.maxSequences - this.active.reduce((n, job) => n + job.liveRows, 0);
  }

  /** Free KV positions once every active job has grown to its worst case. */
  private freeTokens(): number {
    return this.pool.freeTokens - this.active.reduce((n, job) => n + job.remainingTokens(this.pool, this.blockSize), 0);
  }

  private kick(): void {
    if (this.running) return;
    this.running = true;
    void this.loop();
  }

  private async loop(): Promise<void> {
    try {
      while (this.queue.length > 0 || this.active.length > 0) {
        // a step of a fast pool may settle without a macrotask: let timers and I/O (aborts, sockets) run between steps
        await new Promise((resolve) => setImmediate(resolve));
        this.reap();
        this.admit();
        const entries = this.plan();
        if (entries.length > 0) await this.step(entries);
      }
    } catch (error) {
      // a bug here must not leave requests hanging
      for (const job of [...this.active, ...this.queue]) this.fail(job, error);
    } finally {
      this.running = false;
      this.settleClose();
    }
  }

  /** Aborted (signal) and abandoned (consumer left) requests finish with reason 'abort' and free their slots. */
  private reap(): void {
    // backwards: abort() removes the job from its list
    for (const list of [this.queue, this.active]) {
      for (let i = list.length - 1; i >= 0; i--) if (list[i]!.aborted) this.abort(list[i]!);
    }
  }

  /** FIFO: the head of the queue enters while its slots and worst-case KV positions are free. */
  private admit(): void {
    while (this.queue.length > 0) {
      const job = this.queue[0]!;
      const need = job.worstCase(this.blockSize);
      if (job.width > this.freeSlots() || need > this.freeTokens()) {
        if (this.active.length > 0) return;
        // only a pool that lost memory gets here (submit checked the capacity): fail the head, not the queue
        this.fail(job, new SchedulerStepError(`a request needing ${need} KV positions does not fit an idle pool with ${this.pool.freeTokens} free`));
        continue;
      }
      this.queue.shift();
      this.active.push(job);
      job.admittedAt = now();
      try {
        job.seqs[0] = this.pool.add();
      } catch (error) {
        this.fail(job, error);
      }
    }
  }

  /** Every decoding row feeds its last token; prefilling requests, in admission order, share prefillChunk prompt tokens. */
  private plan(): Entry[] {
    const entries: Entry[] = [];
    let budget = this.options.prefillChunk;
    for (const job of this.active) {
      if (job.decodingAt !== null) {
        job.rows.forEach((row, r) => {
          if (!row.done) entries.push({ job, row: r, id: job.seqs[r]!, ids: [row.ids[row.ids.length - 1]!], skipLogits: job.skipLogits });
        });
      } else if (budget > 0) {
        const ids = job.prompt.slice(job.prefilled, job.prefilled + budget);
        budget -= ids.length;
        entries.push({ job, row: null, id: job.seqs[0]!, ids });
      }
    }
    return entries;
  }

  private async step(entries: Entry[]): Promise<void> {
    const t0 = now();
    const V = this.model.vocabSize;
    let logits: Float32Array;
    try {
      this.best.fill(-1, 0, 2 * entries.length);
      // the entries themselves (a pool reads id and ids): no second object per row and step
      logits = await this.pool.step(entries, this.logitsFor(entries.length), this.best);
      if (logits.length !== entries.length * V) {
        throw new SchedulerStepError(`the pool's step returned ${logits.length} logits, expected ${entries.length} entries x vocabSize ${V}`);
      }
    } catch (cause) {
      const error = cause instanceof SchedulerStepError ? cause : new SchedulerStepError(`the model step failed: ${describe(cause)}`, { cause });
      for (const job of new Set(entries.map((e) => e.job))) this.fail(job, error);
      this.report(entries, t0);
      return;
    }
    entries.forEach((e, i) => {
      const { job } = e;
      if (job.ended) return; // failed earlier in this step
      const scores = logits.subarray(i * V, (i + 1) * V);
      try {
        const [argmax, firstBad] = [this.best[2 * i]!, this.best[2 * i + 1]!];
        if (e.row !== null) this.emit(job, e.row, job.decoder.next(job.rows[e.row]!, e.row, scores, argmax, firstBad));
        else {
          job.prefilled += e.ids.length;
          if (job.prefilled === job.prompt.length) this.startDecoding(job, scores, argmax, firstBad);
        }
      } catch (error) {
        this.fail(job, error);
      }
    });
    this.report(entries, t0);
  }

  /** The reused logits buffer, at least `entries` rows of vocabSize (doubling, at most maxSequences rows); `best` grows with it. */
  private logitsFor(entries: number): Float32Array {
    const V = this.model.vocabSize;
    if (this.logits.length < entries * V) {
      const rows = Math.max(entries, Math.min((2 * this.logits.length) / V, this.options.maxSequences));
      this.logits = new Float32Array(rows * V);
      this.best = new Int32Array(2 * rows).fill(-1);
    }
    return this.logits;
  }

  /** The prompt is in: fork the sibling rows from row 0 and choose every row's first token from the same logits (and scan). */
  private startDecoding(job: Job, scores: Float32Array, argmax: number, firstBad: number): void {
    job.decodingAt = now();
    const copies = job.rows.map((_, r) => (r === 0 ? scores : scores.slice()));
    for (let r = 1; r < job.width; r++) job.seqs[r] = this.pool.fork(job.seqs[0]!);
    job.rows.forEach((row, r) => this.emit(job, r, job.decoder.next(row, r, copies[r]!, argmax, firstBad)));
  }

  private emit(job: Job, r: number, events: GenerationEvent[]): void {
    if (job.firstTokenAt === null && events.some((e) => e.type === 'token')) job.firstTokenAt = now();
    if (job.rows[r]!.done) this.release(job, r);
    job.stream.push(events);
    if (job.rows.every((row) => row.done)) this.finish(job, () => job.stream.end(job.result()));
  }

  /** Every unfinished row ends with reason 'abort'; the request's slots are freed. */
  private abort(job: Job): void {
    const events = job.rows.flatMap((row, r) => (row.done ? [] : [job.decoder.finish(row, r, 'abort')]));
    job.rows.forEach((_, r) => this.release(job, r));
    job.stream.push(events);
    this.finish(job, () => job.stream.end(job.result()));
  }

  private fail(job: Job, error: unknown): void {
    job.rows.forEach((_, r) => this.release(job, r));
    this.finish(job, () => job.stream.fail(error));
  }

  private finish(job: Job, settle: () => void): void {
    job.ended = true;
    for (const list of [this.active, this.queue]) {
      const i = list.indexOf(job);
      if (i >= 0) list.splice(i, 1);
    }
    settle();
  }

  private release(job: Job, r: number): void {
    const seq = job.seqs[r];
    if (seq === undefined) return;
    job.seqs[r] = undefined;
    try {
      this.pool.remove(seq);
    } catch {
      // the pool lost it already (its step failed); nothing left to free
    }
  }

  private report(entries: readonly Entry[], t0: number): void {
    const { onStep } = this.options;
    if (!onStep) return;
    let prefillTokens = 0;
    let decodeTokens = 0;
    for (const e of entries) {
      if (e.row === null) prefillTokens += e.ids.length;
      else decodeTokens++;
    }
    const s: StepStats = { sequences: entries.length, prefillTokens, decodeTokens, ms: now() - t0 };
    try {
      onStep(s);
    } catch (error) {
      process.emitWarning(`Scheduler onStep threw: ${describe(error)}`);
    }
  }
}

const describe = (e: unknown): string => (e instanceof Error ? e.message : String(e));
