import { BeamSearch } from './beam-search.js';
import { checkLogits } from './errors.js';
import { type GenerationEvent, type GenerationSummary, Stopwatch } from './events.js';
import { logSumExp } from './processors/softmax-stats.js';
import { leftPad } from './prompts.js';
import { RowText } from './row-text.js';
import { now, type GenerationRun } from './run.js';
import { timedForward } from './timed-forward.js';
import type { DecodingStrategy } from './strategy.js';

/**
 * Beam search over a batch of prompts. Session rows p * numBeams + k hold beam k of prompt p; after each step the
 * KV cache follows the surviving beams through LMSession.reorder. A prompt's numReturnSequences best hypotheses are
 * emitted (output rows p * numReturnSequences + j) as soon as its search is done; its rows then idle on masked pads.
 */
export async function* beamLoop(run: GenerationRun, strategy: Extract<DecodingStrategy, { kind: 'beam' }>): AsyncGenerator<GenerationEvent, GenerationSummary> {
  const { model, tokenizer, options: o, pipeline, eosTokenIds, padId, prompts } = run;
  const { numBeams: nb, numReturnSequences: nRet, lengthPenalty, earlyStopping } = strategy;
  const V = model.vocabSize;
  const B = prompts.length * nb;
  const clock = new Stopwatch();
  const promptTokens = prompts.reduce((s, p) => s + p.length, 0);
  let completionTokens = 0;
  const signal = o.signal;
  const searches = prompts.map(() => new BeamSearch({ numBeams: nb, maxNewTokens: o.maxNewTokens, eosTokenIds, lengthPenalty, earlyStopping }));
  const emitted = prompts.map(() => false);

  // the numReturnSequences best hypotheses of prompt p as output rows
  function* results(p: number): Generator<GenerationEvent> {
    emitted[p] = true;
    const hyps = searches[p]!.results().slice(0, nRet);
    for (let j = 0; j < hyps.length; j++) {
      const row = p * nRet + j;
      const { tokens, score } = hyps[j]!;
      const eos = tokens.length > 0 && eosTokenIds.includes(tokens[tokens.length - 1]!);
      const ids = eos ? tokens.slice(0, -1) : tokens;
      const text = new RowText(tokenizer, []);
      for (const id of ids) yield { type: 'token', row, id, text: text.write(id).text };
      completionTokens += ids.length;
      yield { type: 'done', row, finishReason: eos ? 'eos' : 'length', text: text.end().text, score };
    }
  }
  function* abortRest(): Generator<GenerationEvent> {
    for (let p = 0; p < prompts.length; p++) {
      if (emitted[p]) continue;
      emitted[p] = true;
      for (let j = 0; j < nRet; j++) yield { type: 'done', row: p * nRet + j, finishReason: 'abort', text: '' };
    }
  }

  if (signal?.aborted) {
    yield* abortRest();
    return clock.summary(promptTokens, 0);
  }
  const session = model.createSession(B);
  try {
    const { ids, mask } = leftPad(
      prompts.flatMap((p) => Array.from({ length: nb }, () => p)),
      padId,
    );
    let logits = await timedForward(session, ids, mask, V, clock, 'prefillMs');
    for (;;) {
      let t0 = now();
      if (signal?.aborted) break;
      const order = Array.from({ length: B }, (_, i) => i);
      const finishedNow: number[] = [];
      for (let p = 0; p < prompts.length; p++) {
        const search = searches[p]!;
        if (search.done) continue;
        const logprobs = search.running.map((beam, k) => {
          const scores = logits.subarray((p * nb + k) * V, (p * nb + k + 1) * V);
          checkLogits(scores, p * nb + k);
          const lse = logSumExp(scores);
          for (let i = 0; i < V; i++) scores[i] = scores[i]! - lse;
          pipeline.processors.process(scores, { ids: [...prompts[p]!, ...beam.tokens], promptLength: prompts[p]!.length });
          return scores;
        });
        const parents = search.step(logprobs);
        for (let k = 0; k < nb; k++) order[p * nb + k] = p * nb + parents[k]!;
        if (search.done) finishedNow.push(p);
      }
      clock.decodeMs += now() - t0;
      for (const p of finishedNow) yield* results(p);
      if (searches.every((s) => s.done) || signal?.aborted) break;
      t0 = now();
      session.reorder(order);
      const next = searches.flatMap((s) => s.running.map((b) => (s.done ? padId : b.tokens[b.tokens.length - 1]!)));
      clock.decodeMs += now() - t0;
      logits = await timedForward(
        session,
        next.map((id) => [id]),
        searches.flatMap((s) => s.running.map(() => [s.done ? 0 : 1])),
        V,
        clock,
        'decodeMs',
      );
    }
    yield* abortRest();
  } finally {
    session.dispose();
  }
  return clock.summary(promptTokens, completionTokens);
}
