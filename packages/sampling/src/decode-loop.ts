import { RowDecoder, generatedTokens } from './decode-row.js';
import { type DoneEvent, type GenerationEvent, type GenerationSummary, Stopwatch } from './events.js';
import { leftPad } from './prompts.js';
import { now, type GenerationRun } from './run.js';
import { timedForward } from './timed-forward.js';
import type { DecodingStrategy } from './strategy.js';

/**
 * Greedy / multinomial decoding of a batch. Output row r is prompt floor(r / numReturnSequences). All rows step
 * together through one session (left-padded prompts); a finished row keeps a slot in the batch but is fed a
 * masked pad token and ignored, so every row's tokens are exactly those of a run on its prompt alone.
 */
export async function* decodeLoop(
  run: GenerationRun,
  strategy: Extract<DecodingStrategy, { kind: 'greedy' | 'multinomial' }>,
): AsyncGenerator<GenerationEvent, GenerationSummary> {
  const { model, options: o, padId } = run;
  const n = o.numReturnSequences;
  const decoder = new RowDecoder({ ...run, strategy }, model.vocabSize);
  const rows = run.prompts.flatMap((p) => Array.from({ length: n }, () => p)).map((p, r) => decoder.newRow(p, r));
  const B = rows.length;
  const V = model.vocabSize;
  const clock = new Stopwatch();
  const promptTokens = run.prompts.reduce((s, p) => s + p.length, 0);
  const summary = (): GenerationSummary => {
    const s = clock.summary(promptTokens, generatedTokens(rows));
    return strategy.kind === 'multinomial' ? { ...s, seed: strategy.seed } : s;
  };
  const signal = o.signal;
  const abortAll = (): DoneEvent[] => rows.flatMap((row, r) => (row.done ? [] : [decoder.finish(row, r, 'abort')]));

  if (signal?.aborted) {
    yield* abortAll();
    return summary();
  }
  const session = model.createSession(B);
  try {
    const { ids, mask } = leftPad(
      rows.map((r) => r.ids),
      padId,
    );
    let logits = await timedForward(session, ids, mask, V, clock, 'prefillMs');
    for (;;) {
      const t0 = now();
      if (signal?.aborted) {
        clock.decodeMs += now() - t0;
        yield* abortAll();
        break;
      }
      const events = rows.flatMap((row, r) => (row.done ? [] : decoder.next(row, r, logits.subarray(r * V, (r + 1) * V))));
      clock.decodeMs += now() - t0;
      yield* events;
      if (rows.every((row) => row.done)) break;
      if (signal?.aborted) {
        yield* abortAll();
        break;
      }
      logits = await timedForward(
        session,
        rows.map((row) => [row.done ? padId : row.ids[row.ids.length - 1]!]),
        rows.map((row) => [row.done ? 0 : 1]),
        V,
        clock,
        'decodeMs',
      );
    }
  } finally {
    session.dispose();
  }
  return summary();
}
