import { describe, expect, it } from 'vitest';
import { scoreContinuation, splitEncode, summarize } from './eval-score.js';

describe('continuation scoring', () => {
  it('sums log-softmax of the targets and checks greedy match', () => {
    // two rows over a vocabulary of 3
    const logits = new Float32Array([0, Math.log(3), 0, 5, 0, 0]);
    const hit = scoreContinuation(logits, 3, 0, [1, 0]);
    // row 0: p(1) = 3/5; row 1: p(0) = e^5/(e^5+2)
    expect(hit.logLikelihood).toBeCloseTo(Math.log(3 / 5) + 5 - Math.log(Math.exp(5) + 2), 6);
    expect(hit.greedy).toBe(true);
    expect(scoreContinuation(logits, 3, 1, [2]).greedy).toBe(false);
  });

  it('moves the context trailing space to the continuation and splits the joint encoding', () => {
    // a toy "encoder": one id per character, except that " x" merges into id 99
    const encode = (t: string) => {
      const ids: number[] = [];
      for (let i = 0; i < t.length; i++) {
        if (t[i] === ' ' && t[i + 1] === 'x') ids.push(99), i++;
        else ids.push(t.charCodeAt(i));
      }
      return ids;
    };
    expect(splitEncode(encode, 'ab ', 'x', 0)).toEqual({ contextIds: [97, 98], continuationIds: [99] });
    expect(splitEncode(encode, '', 'a', 7)).toEqual({ contextIds: [7], continuationIds: [97] });
  });

  it('reports per-token and per-example perplexity', () => {
    const s = summarize({ examples: 2, greedyMatches: 1, logLikelihood: -3, continuationTokens: 3, nllPerExample: [1, 2] });
    expect(s.accuracy).toBe(0.5);
    expect(s.perplexity).toBeCloseTo(Math.E, 12);
    expect(s.lambada_perplexity).toBeCloseTo(Math.exp(1.5), 12);
  });
});
