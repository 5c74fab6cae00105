import { describe, expect, it } from 'vitest';
import { scoreRow } from './log-softmax.js';
import { at } from '../at.js';

/** The k largest ids by the definition: value descending, then id ascending (a full sort, not an insertion). */
function referenceTop(row: Float32Array, k: number): number[] {
  return Array.from(row.keys())
    .sort((a, b) => at(row, b) - at(row, a) || a - b)
    .slice(0, k);
}

describe('scoreRow', () => {
  it('top k: the largest values first, ties to the lower id', () => {
    expect(scoreRow(new Float32Array([1, 3, 3, 2, 3, 0, 2]), 0, 4).top.map((t) => t.token)).toEqual([1, 2, 4, 3]);
  });

  it('top k equals a full sort on rows with many ties, for k from 1 to past the row length', () => {
    let seed = 7;
    const row = Float32Array.from({ length: 300 }, () => (seed = (seed * 48271) % 2147483647) % 9); // values 0..8: ties everywhere
    for (const k of [1, 2, 5, 37, 300, 301]) expect(scoreRow(row, 0, k).top.map((t) => t.token)).toEqual(referenceTop(row, k));
  });

  it('logprob is log softmax at the target, greedy whether the target is the first max, top logprobs on the same scale', () => {
    const row = new Float32Array([0, Math.log(3), 0]); // softmax 0.2, 0.6, 0.2
    const r = scoreRow(row, 1, 2);
    expect(r.logprob).toBeCloseTo(Math.log(0.6), 6);
    expect(r.greedy).toBe(true);
    expect(r.top).toEqual([
      { token: 1, logprob: r.logprob },
      { token: 0, logprob: expect.closeTo(Math.log(0.2), 6) },
    ]);
    expect(scoreRow(new Float32Array([2, 2]), 1).greedy).toBe(false); // first max wins
  });
});
