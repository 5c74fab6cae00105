import type { GenerationEvent, GenerationSummary } from '../events.js';

export type ScheduledResult = GenerationSummary & {
  /** Submission to admission into a slot. */
  queuedMs: number;
  /** Submission to the first token event; null when no token was generated (EOS first, abort, failure). */
  timeToFirstTokenMs: number | null;
};

/** One submitted request: its own event stream (same events as `generate`, row = 0..numReturnSequences-1). */
export interface ScheduledRequest extends AsyncIterable<GenerationEvent> {
  /** Resolves when every row is done; rejects with the request's error (e.g. SchedulerStepError). */
  readonly result: Promise<ScheduledResult>;
}

/**
 * The consumer side of a request: events are buffered (the scheduler never waits for a slow consumer, so one
 * reader cannot stall the others' steps) and handed out in order by a single iterator. The consumer's `break` /
 * `return()` marks the request cancelled; the scheduler then frees its slot at the next step.
 */
export class RequestStream implements ScheduledRequest {
  readonly result: Promise<ScheduledResult>;
  cancelled = false;
  private readonly buffer: GenerationEvent[] = [];
  private state: { kind: 'open' } | { kind: 'ended' } | { kind: 'failed'; error: unknown; thrown: boolean } = { kind: 'open' };
  /** The iterator's pending next(), answered by the push, end, fail or cancel that gives it a result. */
  private waiter: { resolve: (r: IteratorResult<GenerationEvent>) => void; reject: (e: unknown) => void } | null = null;
  private settle!: { resolve: (r: ScheduledResult) => void; reject: (e: unknown) => void };

  constructor(private readonly onCancel: () => void) {
    this.result = new Promise((resolve, reject) => (this.settle = { resolve, reject }));
    // a consumer that only iterates sees the error there; keep an unobserved result from crashing the process
    this.result.catch(() => {});
  }

  push(events: readonly GenerationEvent[]): void {
    if (this.cancelled || events.length === 0) return;
    for (const e of events) this.buffer.push(e);
    this.notify();
  }

  end(result: ScheduledResult): void {
    this.state = { kind: 'ended' };
    this.settle.resolve(result);
    this.notify();
  }

  fail(error: unknown): void {
    this.state = { kind: 'failed', error, thrown: false };
    this.settle.reject(error);
    this.notify();
  }

  [Symbol.asyncIterator](): AsyncIterator<GenerationEvent> {
    return {
      next: () => this.next(),
      return: async () => {
        this.cancel();
        return { done: true, value: undefined };
      },
    };
  }

  // Not an async function looping on a wake-up promise: an event that arrives while the consumer waits settles its
  // next() directly (one promise per event instead of three, and no closure).
  private next(): Promise<IteratorResult<GenerationEvent>> {
    let r: IteratorResult<GenerationEvent> | null;
    try {
      r = this.take();
    } catch (error) {
      return Promise.reject(error);
    }
    return r ? Promise.resolve(r) : new Promise((resolve, reject) => (this.waiter = { resolve, reject }));
  }

  /** The next result when there is one (an event, or the end), null while the stream is open and empty; a failure is thrown once. */
  private take(): IteratorResult<GenerationEvent> | null {
    const event = this.buffer.shift();
    if (event) return { done: false, value: event };
    const s = this.state;
    if (this.cancelled || s.kind === 'ended') return { done: true, value: undefined };
    if (s.kind === 'open') return null;
    if (s.thrown) return { done: true, value: undefined };
    s.thrown = true;
    throw s.error;
  }

  private cancel(): void {
    if (this.cancelled) return;
    this.cancelled = true;
    this.buffer.length = 0;
    this.notify();
    if (this.state.kind === 'open') this.onCancel();
  }

  private notify(): void {
    const waiter = this.waiter;
    if (waiter === null) return;
    let r: IteratorResult<GenerationEvent> | null;
    try {
      r = this.take();
    } catch (error) {
      this.waiter = null;
      waiter.reject(error);
      return;
    }
    if (r === null) return;
    this.waiter = null;
    waiter.resolve(r);
  }
}
