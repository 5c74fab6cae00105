export { Scheduler, type SchedulerStats } from './scheduler.js';
export type { SchedulerOptions, StepStats } from './scheduler-options.js';
export type { ScheduledRequest, ScheduledResult } from './request.js';
export { SessionSequencePool } from './session-pool.js';
export { QueueFullError, SchedulerClosedError, SchedulerStepError, SequencePoolError } from './errors.js';
