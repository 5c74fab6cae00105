import { describe, expect, it } from 'vitest';
import { generate, generateText } from './generate.js';
import { InvalidOptionError } from './errors.js';
import { logSumExp } from './processors/softmax-stats.js';
import { historyLM, PieceTokenizer } from './test-support/fakes.js';
import { topLogprobs } from './top-logprobs.js';

const V = 24;
const tok = new PieceTokenizer(Array.from({ length: V }, (_, i) => `<${i}>`));

/** Reference: sort every (id, logprob) pair, most likely first, ties to the lower id. */
function sorted(raw: Float32Array, n: number) {
  const lse = logSumExp(raw);
  return [...raw]
    .map((v, id) => ({ id, logprob: v - lse }))
    .filter((x) => x.logprob !== -Infinity)
    .sort((a, b) => b.logprob - a.logprob || a.id - b.id)
    .slice(0, n);
}

describe('topLogprobs', () => {
  it('matches a full sort, with ties to the lower id and -Infinity entries skipped', () => {
    const raw = Float32Array.from([1, 3, 3, -Infinity, 2, 3, 0.5, -1]);
    for (const n of [1, 2, 3, 5, 7, 20]) expect(topLogprobs(raw, logSumExp(raw), n)).toEqual(sorted(raw, n));
  });

  it('generate reports topLogprobs of the raw logits with every token (and logprob), even when a processor changed them', async () => {
    const lm = historyLM(V);
    const r = await generateText(lm, tok, [1, 2], { maxNewTokens: 6, temperature: 0.5, topK: 3, seed: 3, topLogprobs: 4 });
    const events = [];
    for await (const e of generate(lm, tok, [1, 2], { maxNewTokens: 6, temperature: 0.5, topK: 3, seed: 3, topLogprobs: 4 })) events.push(e);
    const history = [1, 2];
    for (const e of events) {
      if (e.type !== 'token') continue;
      const raw = lm.logitsFor(history);
      expect(e.topLogprobs).toEqual(sorted(raw, 4));
      expect(e.logprob).toBeCloseTo(raw[e.id]! - logSumExp(raw), 6);
      history.push(e.id);
    }
    expect(r.rows[0]!.logprobs).toHaveLength(6);
  });

  it('is refused outside 0..20 and with beam search, by name', async () => {
    const lm = historyLM(V);
    await expect(generateText(lm, tok, [1], { topLogprobs: 21 })).rejects.toThrow(InvalidOptionError);
    await expect(generateText(lm, tok, [1], { topLogprobs: 2, numBeams: 2 })).rejects.toThrow(/topLogprobs/);
  });
});
