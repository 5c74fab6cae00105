// cast.cpp checks each 64-element block for values q8/q4 cannot hold with one vectorized OR and scans only a
// flagged block for the first one: the element reported must still be the first in the row, wherever it sits
// in a block or the tail, and values at the limits must pass. Reference: a plain scan in JS.
import { describe, expect, it } from 'vitest';
import { NonFiniteError, Tensor, cast } from './index.js';

const Q4_MAX = 65504 * 8; // an f16 group scale times 8
const F32_MAX = 3.4028234663852886e38;
const ABOVE_Q4_MAX = Math.fround(Q4_MAX + 0.0625); // the next f32 up
const COLS = 224; // three 64-element blocks and a 32-element tail (q4 needs a multiple of 32)

function holdable(v: number, dtype: 'q8' | 'q4'): boolean {
  return Number.isFinite(v) && (dtype === 'q8' || Math.abs(v) <= Q4_MAX);
}

/** The row and column a plain scan finds first, or undefined. */
function firstBad(a: Float32Array, dtype: 'q8' | 'q4'): [number, number] | undefined {
  const i = a.findIndex((v) => !holdable(v, dtype));
  return i < 0 ? undefined : [Math.floor(i / COLS), i % COLS];
}

/** [row, column] the cast reports, or undefined when it succeeds. */
function reported(a: Float32Array, dtype: 'q8' | 'q4'): [number, number] | undefined {
  try {
    cast(Tensor.fromArray(a, [a.length / COLS, COLS]), dtype);
    return undefined;
  } catch (e) {
    if (e instanceof NonFiniteError) return [e.row, e.column];
    const m = /row (\d+), column (\d+) is/.exec((e as Error).message);
    if (!m) throw e;
    return [Number(m[1]), Number(m[2])];
  }
}

// first/last element of each block, the first/last of the tail
const COLUMNS = [0, 1, 63, 64, 127, 128, 191, 192, 200, 223];
const BAD = { q8: [NaN, Infinity, -Infinity], q4: [NaN, Infinity, -Infinity, ABOVE_Q4_MAX, -ABOVE_Q4_MAX] };
const AT_LIMIT = { q8: [F32_MAX, -F32_MAX, 0, -0], q4: [Q4_MAX, -Q4_MAX, 0, -0] };

describe('cast to q8/q4: the first value it cannot hold', () => {
  for (const dtype of ['q8', 'q4'] as const) {
    it(`${dtype}: each bad value at each block edge and in the tail is the one reported`, () => {
      for (const value of BAD[dtype])
        for (const col of COLUMNS) {
          const a = new Float32Array(3 * COLS).fill(0.5);
          a[COLS + col] = value;
          expect(reported(a, dtype)).toEqual([1, col]);
        }
    });

    it(`${dtype}: two bad values in a row, in one block or apart: the first is reported`, () => {
      for (const [c0, c1] of [
        [64, 127],
        [62, 63],
        [100, 200],
        [192, 223],
        [0, 223],
      ]) {
        const a = new Float32Array(2 * COLS).fill(-0.5);
        a[c1] = NaN;
        a[c0] = BAD[dtype][BAD[dtype].length - 1];
        expect(reported(a, dtype)).toEqual(firstBad(a, dtype));
        expect(reported(a, dtype)).toEqual([0, c0]);
      }
    });

    it(`${dtype}: values at the limits pass in every block and the tail`, () => {
      const a = new Float32Array(2 * COLS);
      for (let i = 0; i < a.length; i++) a[i] = AT_LIMIT[dtype][i % AT_LIMIT[dtype].length];
      expect(firstBad(a, dtype)).toBeUndefined();
      expect(reported(a, dtype)).toBeUndefined();
    });
  }
});
