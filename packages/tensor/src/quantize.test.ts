// q8 quantization refuses non-finite values: before, absmax skipped a NaN and the clamp turned it into
// +127 (the row's maximum), and an infinity zeroed its row, so a corrupt weight became plausible numbers.
import { afterEach, describe, expect, it } from 'vitest';
import { NonFiniteError, Tensor, cast, getNumThreads, setNumThreads } from './index.js';

const initial = getNumThreads();
afterEach(() => setNumThreads(initial));

/** [rows, cols] of 0.25 with `bad` values written at [row, col]. */
function matrix(rows: number, cols: number, bad: [number, number, number][]): Float32Array {
  const a = new Float32Array(rows * cols).fill(0.25);
  for (const [r, c, v] of bad) a[r * cols + c] = v;
  return a;
}

function caught(f: () => unknown): NonFiniteError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(NonFiniteError);
    return e as NonFiniteError;
  }
  throw new Error('expected a NonFiniteError');
}

describe('cast to q8 with non-finite values', () => {
  for (const dtype of ['f32', 'f16', 'bf16'] as const) {
    for (const value of [NaN, Infinity, -Infinity]) {
      it(`${dtype} ${value}: NonFiniteError with the row, column and value`, () => {
        const x = Tensor.fromArray(matrix(6, 40, [[4, 33, value]]), [6, 40], { dtype });
        const e = caught(() => cast(x, 'q8'));
        expect([e.row, e.column, e.value]).toEqual([4, 33, value]);
        expect(e.message).toBe(
          `cast: x has ${value} at row 4, column 33; quantization (q8, q4) needs finite values (a NaN would silently become the row maximum)`,
        );
      });
    }
  }

  it('names the tensor given as options.name', () => {
    const x = Tensor.fromArray(matrix(3, 8, [[2, 7, NaN]]), [3, 8]);
    const e = caught(() => cast(x, 'q8', { name: 'transformer.h.0.mlp.fc_in.weight' }));
    expect(e.tensor).toBe('transformer.h.0.mlp.fc_in.weight');
    expect(e.message).toMatch(/^cast: 'transformer\.h\.0\.mlp\.fc_in\.weight' has NaN at row 2, column 7;/);
  });

  it('reports the first bad row whatever the thread split, in the [rows, cols] view of a 3-d tensor', () => {
    setNumThreads(Math.max(2, initial));
    const x = Tensor.fromArray(
      matrix(4096, 64, [
        [4000, 1, NaN],
        [2049, 63, Infinity],
        [2049, 5, -Infinity],
      ]),
      [2, 2048, 64],
    );
    const e = caught(() => cast(x, 'q8'));
    expect([e.row, e.column, e.value]).toEqual([2049, 5, -Infinity]);
  });
});
