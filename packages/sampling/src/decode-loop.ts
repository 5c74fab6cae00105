import { checkLogits, SamplingError } from './errors.js';
import { type DoneEvent, type FinishReason, type GenerationEvent, type GenerationSummary, Stopwatch } from './events.js';
import { logSumExp } from './processors/softmax-stats.js';
import { leftPad } from './prompts.js';
import { RowText } from './row-text.js';
import { now, type GenerationRun } from './run.js';
import { GreedySampler, MultinomialSampler, type Sampler } from './samplers.js';
import type { DecodingStrategy } from './strategy.js';

interface Row {
  ids: number[];
  promptLength: number;
  text: RowText;
  sampler: Sampler;
  done: boolean;
}

/**
 * Greedy / multinomial decoding of a batch. Output row r is prompt floor(r / numReturnSequences). All rows step
 * together through one session (left-padded prompts); a finished row keeps a slot in the batch but is fed a
 * masked pad token and ignored, so every row's tokens are exactly those of a run on its prompt alone.
 */
export async function* decodeLoop(
  run: GenerationRun,
  strategy: Extract<DecodingStrategy, { kind: 'greedy' | 'multinomial' }>,
): AsyncGenerator<GenerationEvent, GenerationSummary> {
  const { model, tokenizer, options: o, pipeline, eosTokenIds, padId } = run;
  const n = o.numReturnSequences;
  const greedy = strategy.kind === 'greedy';
  const greedySampler = new GreedySampler();
  const samplerFor = (r: number): Sampler => {
    if (strategy.kind === 'greedy') return greedySampler;
    const { seed } = strategy;
    return typeof seed === 'number' ? new MultinomialSampler(seed, r) : new MultinomialSampler(seed[r]!, 0);
  };
  const rows: Row[] = run.prompts.flatMap((p) => Array.from({ length: n }, () => p)).map((p, r) => ({
    ids: [...p],
    promptLength: p.length,
    text: new RowText(tokenizer, run.stops),
    sampler: samplerFor(r),
    done: false,
  }));
  const B = rows.length;
  const V = model.vocabSize;
  const clock = new Stopwatch();
  const summary = (completionTokens: number): GenerationSummary =>
    strategy.kind === 'multinomial' ? { ...clock.summary(promptTokens, completionTokens), seed: strategy.seed } : clock.summary(promptTokens, completionTokens);
  const promptTokens = run.prompts.reduce((s, p) => s + p.length, 0);
  let completionTokens = 0;
  const signal = o.signal;
  const raw = o.logprobs ? new Float32Array(V) : null;

  // A stop string ends a row without its held-back text; a custom stopping criterion ends it with that text.
  const finish = (r: number, reason: FinishReason | 'criterion'): DoneEvent => {
    const row = rows[r]!;
    row.done = true;
    const tail = reason === 'stop' ? { text: '', stopped: true } : row.text.end();
    return { type: 'done', row: r, finishReason: tail.stopped || reason === 'criterion' ? 'stop' : reason, text: tail.text };
  };
  const abortAll = (): DoneEvent[] => rows.flatMap((row, r) => (row.done ? [] : [finish(r, 'abort')]));

  if (signal?.aborted) {
    yield* abortAll();
    return summary(0);
  }
  const session = model.createSession(B);
  try {
    const { ids, mask } = leftPad(rows.map((r) => r.ids), padId);
    let t0 = now();
    let logits = await session.forward(ids, mask);
    clock.prefillMs = now() - t0;
    for (;;) {
      t0 = now();
      if (logits.length !== B * V) throw new SamplingError(`session.forward returned ${logits.length} logits, expected batch ${B} x vocabSize ${V}`);
      const events: GenerationEvent[] = [];
      if (signal?.aborted) {
        clock.decodeMs += now() - t0;
        yield* abortAll();
        break;
      }
      for (let r = 0; r < B; r++) {
        const row = rows[r]!;
        if (row.done) continue;
        const scores = logits.subarray(r * V, (r + 1) * V);
        checkLogits(scores, r);
        const lse = raw ? (raw.set(scores), logSumExp(scores)) : 0;
        const ctx = { ids: row.ids, promptLength: row.promptLength };
        pipeline.processors.process(scores, ctx);
        const cand = greedy ? { scores, ids: null } : pipeline.warpers.run(scores, ctx);
        const pick = row.sampler.select(cand.scores);
        const id = cand.ids ? cand.ids[pick]! : pick;
        if (eosTokenIds.includes(id)) {
          events.push(finish(r, 'eos'));
          continue;
        }
        row.ids.push(id);
        completionTokens++;
        const { text, stopped } = row.text.write(id);
        events.push(raw ? { type: 'token', row: r, id, text, logprob: raw[id]! - lse } : { type: 'token', row: r, id, text });
        if (stopped) events.push(finish(r, 'stop'));
        else if (o.stoppingCriteria.some((c) => c(row.ids, ctx))) events.push(finish(r, 'criterion'));
        else if (row.ids.length - row.promptLength >= o.maxNewTokens) events.push(finish(r, 'length'));
      }
      clock.decodeMs += now() - t0;
      yield* events;
      if (rows.every((row) => row.done)) break;
      if (signal?.aborted) {
        yield* abortAll();
        break;
      }
      t0 = now();
      logits = await session.forward(
        rows.map((row) => [row.done ? padId : row.ids[row.ids.length - 1]!]),
        rows.map((row) => [row.done ? 0 : 1]),
      );
      clock.decodeMs += now() - t0;
    }
  } finally {
    session.dispose();
  }
  return summary(completionTokens);
}
