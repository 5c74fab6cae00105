// The benchmarks' prompt ids and greedy picks (bench-ids.ts), against plain references: the LCG in BigInt arithmetic
// (the ANSI C rand() recurrence, s = s * 1103515245 + 12345 mod 2^32) and the first index of the row's maximum.
import { describe, expect, it } from 'vitest';

import { benchIds, greedyIds } from './bench-helpers.js';

function lcgReference(n: number, vocab: number, seed: number): number[] {
  let s = BigInt(seed);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    s = (s * 1103515245n + 12345n) % 2n ** 32n;
    out.push(Number(s % BigInt(vocab)));
  }
  return out;
}

describe('benchIds', () => {
  it('is the LCG from the seed, below min(vocabSize, 50257)', () => {
    expect(benchIds(300, 50400)).toEqual(lcgReference(300, 50257, 12345));
    expect(benchIds(300, 512, 12346)).toEqual(lcgReference(300, 512, 12346));
    expect(Math.max(...benchIds(5000, 50400))).toBeLessThan(50257);
  });
});

describe('greedyIds', () => {
  it('picks the first index of each row maximum (ties, -Infinity, negative rows)', () => {
    const rows = [
      [0.5, 2, -1, 2, 1],
      [-Infinity, -3, -2.5, -2.5, -Infinity],
      [7, 7, 7, 7, 7],
      [-1, -2, -3, -4, 3e38],
    ];
    const first = rows.map((r) => r.indexOf(Math.max(...r)));
    expect(greedyIds(new Float32Array(rows.flat()), rows.length)).toEqual(first);
    expect(greedyIds(new Float32Array(rows[1]!))).toEqual([first[1]]);
  });
});
