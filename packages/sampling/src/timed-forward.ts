import { SamplingError } from './errors.js';
import type { Stopwatch } from './events.js';
import type { LMSession } from './interfaces.js';
import { now } from './run.js';

/**
 * One step of a decoding loop's session: forward(ids, mask), its time added to the clock's prefill or
 * decode time, and its result checked to hold vocabSize logits for every session row.
 */
export async function timedForward(
  session: LMSession,
  ids: number[][],
  mask: number[][],
  vocabSize: number,
  clock: Stopwatch,
  phase: 'prefillMs' | 'decodeMs',
): Promise<Float32Array> {
  const t0 = now();
  const logits = await session.forward(ids, mask);
  clock[phase] += now() - t0;
  const B = ids.length;
  if (logits.length !== B * vocabSize)
    throw new SamplingError(`session.forward returned ${logits.length} logits, expected batch ${B} x vocabSize ${vocabSize}`);
  return logits;
}
