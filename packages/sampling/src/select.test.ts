import { describe, expect, it } from 'vitest';
import { kthLargest, topKIndices } from './select.js';

function randomRow(n: number, seed: number, distinct: number): Float32Array {
  const row = new Float32Array(n);
  let x = seed;
  for (let i = 0; i < n; i++) {
    x = Math.imul(x ^ (x >>> 15), 2246822507) + i;
    row[i] = ((x >>> 0) % distinct) - distinct / 2; // few distinct values: many ties
  }
  return row;
}

describe('partial selection against a full sort', () => {
  for (const [n, distinct] of [
    [1000, 1000000],
    [5000, 37],
    [50400, 100000],
  ] as const) {
    for (const k of [1, 7, 256, 257, 900]) {
      it(`kthLargest n=${n} k=${k} (${k <= 256 ? 'heap' : 'quickselect'}, ${distinct} distinct values)`, () => {
        const row = randomRow(n, n + k, distinct);
        row[3] = -Infinity;
        row[9] = NaN; // ignored
        const sorted = [...row].filter((v) => !Number.isNaN(v)).sort((a, b) => b - a);
        expect(kthLargest(row, k, new Float32Array(n))).toBe(sorted[k - 1]);
      });
    }
  }

  it('topKIndices: the k best ids, descending, ties lower id first', () => {
    const row = Float32Array.from([1, 5, 3, 5, 2, 5, 0]);
    const out = new Int32Array(7);
    expect(topKIndices(row, 2, out, new Float32Array(7))).toBe(2);
    expect([...out.slice(0, 2)]).toEqual([1, 3]);
    expect(topKIndices(row, 5, out, new Float32Array(7))).toBe(5);
    expect([...out.slice(0, 5)]).toEqual([1, 3, 5, 2, 4]);
  });

  it('k beyond the finite entries gives -Infinity as the threshold (keep everything)', () => {
    expect(kthLargest(Float32Array.from([1, -Infinity, NaN]), 3, new Float32Array(3))).toBe(-Infinity);
    expect(() => kthLargest(Float32Array.from([1]), 2, new Float32Array(1))).toThrow(RangeError);
  });
});
