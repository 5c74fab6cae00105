import { InvalidOptionError } from '../errors.js';

/** What one scheduler step did (for metrics). */
export interface StepStats {
  /** Pool entries in the step (prefill chunks + decoding rows). */
  sequences: number;
  prefillTokens: number;
  decodeTokens: number;
  ms: number;
}

export interface SchedulerOptions {
  /** Sequence slots (default 4); a request with numReturnSequences n takes n. */
  maxSequences?: number;
  /** Requests waiting beyond the free slots before submit throws QueueFullError (default 64). */
  maxQueue?: number;
  /** Prompt tokens per step across prefilling requests (default 128), so decoding requests keep stepping. */
  prefillChunk?: number;
  /** KV cache element type, for a model's native pool (the session fallback uses the session's own). */
  kvDtype?: 'f32' | 'f16';
  /** KV positions across all sequences (default: the pool's own; the session fallback: maxSequences x maxLength). */
  maxTokens?: number;
  /** Called after every step (metrics). */
  onStep?: (s: StepStats) => void;
}

export type ResolvedSchedulerOptions = SchedulerOptions & { maxSequences: number; maxQueue: number; prefillChunk: number };

const integers = { maxSequences: [1, 4], maxQueue: [0, 64], prefillChunk: [1, 128], maxTokens: [1, undefined] } as const;

/** Checks the scheduler's options; InvalidOptionError names the first bad one. */
export function parseSchedulerOptions(options: SchedulerOptions): ResolvedSchedulerOptions {
  if (options === null || typeof options !== 'object') throw new InvalidOptionError('(options)', `must be an object, got ${String(options)}`);
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(options)) {
    if (value === undefined) continue;
    if (key in integers) {
      const [min] = integers[key as keyof typeof integers];
      if (!(Number.isInteger(value) && (value as number) >= min)) throw new InvalidOptionError(key, `must be an integer >= ${min}, got ${String(value)}`);
    } else if (key === 'kvDtype') {
      if (value !== 'f32' && value !== 'f16') throw new InvalidOptionError(key, `must be 'f32' or 'f16', got ${JSON.stringify(value)}`);
    } else if (key === 'onStep') {
      if (typeof value !== 'function') throw new InvalidOptionError(key, 'must be a function');
    } else throw new InvalidOptionError(key, 'unknown option');
    out[key] = value;
  }
  for (const [key, [, dflt]] of Object.entries(integers)) if (out[key] === undefined && dflt !== undefined) out[key] = dflt;
  return out as unknown as ResolvedSchedulerOptions;
}
