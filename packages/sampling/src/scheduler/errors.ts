import { SamplingError } from '../errors.js';

/** Scheduler.submit: `maxQueue` requests already wait for a slot. Retry later (a server answers 429). */
export class QueueFullError extends SamplingError {
  constructor(readonly maxQueue: number) {
    super(`the scheduler's queue is full: ${maxQueue} requests already wait for a slot (maxQueue); retry later`);
  }
}

/** Scheduler.submit after close(). */
export class SchedulerClosedError extends SamplingError {
  constructor() {
    super('the scheduler is closed (close() was called): it admits no new requests');
  }
}

/**
 * A model step failed (the pool's `step` threw or returned the wrong number of logits). Every request in that step
 * fails with this error (`cause` holds the original); the other requests and the scheduler carry on.
 */
export class SchedulerStepError extends SamplingError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message);
    if (options && 'cause' in options) this.cause = options.cause;
  }
}

/** A SequencePool call was invalid: unknown sequence id, no free slot, bad token ids, a step already running. */
export class SequencePoolError extends SamplingError {}
