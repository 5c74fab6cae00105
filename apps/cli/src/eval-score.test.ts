import { describe, expect, it } from 'vitest';
import { summarize } from './eval-score.js';

describe('eval summary', () => {
  it('reports accuracy, per-token and per-example perplexity', () => {
    const s = summarize([
      { logprob: -1, isGreedy: true, tokens: 1 },
      { logprob: -2, isGreedy: false, tokens: 2 },
    ]);
    expect(s.accuracy).toBe(0.5);
    expect(s.perplexity).toBeCloseTo(Math.E, 12);
    expect(s.lambada_perplexity).toBeCloseTo(Math.exp(1.5), 12);
    expect(s.continuation_tokens).toBe(3);
  });
});
