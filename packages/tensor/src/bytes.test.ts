// Raw stored bytes in and out of a tensor: toBytes() (f32/f16/bf16/i32), Tensor.fromQ8 and toQ8Parts() (q8),
// checked against naive references (IEEE rounding in reference.ts, per-row absmax quantization, x @ w^T).
import { describe, expect, it } from 'vitest';
import { DTypeError, DisposedError, ShapeError, Tensor, TensorError, cast, linear } from './index.js';
import { f16Value, linearRef, randArray, roundBF16, roundF16 } from './test-support/reference.js';

/** Wide-range test values: random mantissas times 2^-20 .. 2^19, plus signed zeros. */
function wideValues(n: number, seed: number): Float32Array {
  const x = randArray(n, seed, -8, 8).map((v, i) => v * 2 ** ((i % 40) - 20));
  x[0] = 0;
  x[1] = -0;
  return x;
}

/** IEEE round-half-even of a number to an integer. */
function roundHalfEven(v: number): number {
  const r = Math.round(v);
  return Math.abs(v % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** A random int8 matrix that uses both extremes, -128 and 127, and arbitrary (not absmax/127) scales. */
function randomQ8(rows: number, cols: number, seed: number): { values: Int8Array; scales: Float32Array } {
  const values = Int8Array.from(randArray(rows * cols, seed, -128, 128), (v) => Math.max(-128, Math.min(127, Math.floor(v))));
  values[0] = -128;
  values[values.length - 1] = 127;
  const scales = Float32Array.from(randArray(rows, seed + 1, 0, 0.05));
  scales[rows - 1] = 0;
  return { values, scales };
}

describe('toBytes', () => {
  it('f32 and i32: the elements as given, in a fresh buffer', () => {
    const x = wideValues(37, 1);
    const b = Tensor.fromArray(x, [37]).toBytes();
    expect([b.byteOffset, b.byteLength, b.buffer.byteLength]).toEqual([0, 148, 148]);
    expect(Buffer.from(b).equals(Buffer.from(x.buffer))).toBe(true);
    const ids = new Int32Array([0, -1, 2147483647, -2147483648, 50256]);
    expect([...new Int32Array(Tensor.fromArray(ids, [5]).toBytes().buffer)]).toEqual([...ids]);
  });

  it('f16: bit patterns of round-to-nearest-even, signed zeros and infinities included', () => {
    const x = wideValues(4097, 2);
    x[2] = 1e6;
    x[3] = -Infinity;
    const bits = new Uint16Array(cast(Tensor.fromArray(x, [x.length]), 'f16').toBytes().buffer);
    expect(bits.length).toBe(x.length);
    for (let i = 0; i < x.length; i++)
      if (!Object.is(f16Value(bits[i]), roundF16(x[i]))) expect.fail(`f16(${x[i]}) has bits 0x${bits[i].toString(16)}, value ${f16Value(bits[i])}`);
  });

  it('bf16: the top 16 bits of the rounded float32', () => {
    const x = wideValues(4097, 3);
    const bits = new Uint16Array(cast(Tensor.fromArray(x, [x.length]), 'bf16').toBytes().buffer);
    const wide = new Float32Array(new Uint32Array(Array.from(bits, (b) => b << 16)).buffer);
    for (let i = 0; i < x.length; i++)
      if (!Object.is(wide[i], roundBF16(x[i]))) expect.fail(`bf16(${x[i]}) has bits 0x${bits[i].toString(16)}, value ${wide[i]}`);
  });

  it('round-trips through fromBytes in every plain dtype, views and reshapes included', () => {
    const x = randArray(24, 4);
    for (const dtype of ['f32', 'f16', 'bf16'] as const) {
      const t = Tensor.fromArray(x, [2, 3, 4], { dtype });
      const bytes = t.toBytes();
      const back = Tensor.fromBytes(bytes, [6, 4], dtype);
      expect(Buffer.from(back.toBytes()).equals(Buffer.from(bytes)), dtype).toBe(true);
      expect(back.toFloat32Array()).toEqual(t.toFloat32Array());
      expect(Buffer.from(t.reshape([24]).toBytes()).equals(Buffer.from(bytes)), dtype).toBe(true);
    }
  });

  it('refuses q8 (pointing to toQ8Parts) and disposed tensors', () => {
    expect(() => Tensor.zeros([2, 3], 'q8').toBytes()).toThrow(/toQ8Parts/);
    expect(() => Tensor.zeros([2, 3], 'q8').toBytes()).toThrow(DTypeError);
    const t = Tensor.zeros([2]);
    t.dispose();
    expect(() => t.toBytes()).toThrow(DisposedError);
  });
});

describe('Tensor.fromQ8 and toQ8Parts', () => {
  it('keep int8 values (-128 and 127 included) and any scales exactly, with or without padding', () => {
    for (const [rows, cols] of [
      [1, 1],
      [3, 5],
      [4, 16],
      [7, 129],
    ]) {
      const { values, scales } = randomQ8(rows, cols, rows * 100 + cols);
      const t = Tensor.fromQ8(values, scales, [rows, cols]);
      expect([t.dtype, t.device, t.shape]).toEqual(['q8', 'cpu', [rows, cols]]);
      const parts = t.toQ8Parts();
      expect(parts.values).toEqual(values);
      expect(parts.scales).toEqual(scales);
      const want = Float32Array.from(values, (v, i) => v * scales[Math.floor(i / cols)]);
      expect(t.toFloat32Array()).toEqual(want);
      t.dispose();
    }
  });

  it('linear reads a fromQ8 weight like the naive x @ w^T (decode and prompt shapes)', () => {
    const [N, K] = [33, 70];
    const { values, scales } = randomQ8(N, K, 5);
    const w = Tensor.fromQ8(values, scales, [N, K]);
    const real = Float32Array.from(values, (v, i) => v * scales[Math.floor(i / K)]);
    for (const M of [1, 9]) {
      const x = randArray(M * K, 6 + M);
      const got = linear(Tensor.fromArray(x, [M, K]), w).toFloat32Array();
      const want = linearRef(x, M, K, real, N);
      for (let i = 0; i < want.length; i++)
        if (Math.abs(got[i] - want[i]) > 1e-5 * (1 + Math.abs(want[i]))) expect.fail(`M=${M} [${i}] ${got[i]} vs ${want[i]}`);
    }
  });

  it("toQ8Parts of cast(x, 'q8') is per-row absmax/127 with round-half-even, and fromQ8 rebuilds it bit for bit", () => {
    const [rows, cols] = [5, 77];
    const x = randArray(rows * cols, 7, -3, 3);
    x.fill(0, 2 * cols, 3 * cols); // an all-zero row has scale 0
    const q = cast(Tensor.fromArray(x, [rows, cols]), 'q8');
    const { values, scales } = q.toQ8Parts();
    for (let r = 0; r < rows; r++) {
      let amax = 0;
      for (let c = 0; c < cols; c++) amax = Math.max(amax, Math.abs(x[r * cols + c]));
      const s = Math.fround(amax / 127);
      expect(scales[r], `scale of row ${r}`).toBe(s);
      for (let c = 0; c < cols; c++) {
        const want = s === 0 ? 0 : roundHalfEven(Math.fround(x[r * cols + c] / s));
        if (values[r * cols + c] !== want) expect.fail(`[${r},${c}] ${values[r * cols + c]} vs ${want}`);
      }
    }
    const rebuilt = Tensor.fromQ8(values, scales, [rows, cols]);
    expect(rebuilt.toFloat32Array()).toEqual(q.toFloat32Array());
    expect(Buffer.from(cast(rebuilt, 'f16').toBytes()).equals(Buffer.from(cast(q, 'f16').toBytes()))).toBe(true);
  });

  it('toQ8Parts of a reshaped q8 tensor has one scale per row over the leading dims; empty matrices work', () => {
    const { values, scales } = randomQ8(6, 10, 8);
    const parts = Tensor.fromQ8(values, scales, [6, 10]).reshape([2, 3, 10]).toQ8Parts();
    expect(parts.values).toEqual(values);
    expect(parts.scales).toEqual(scales);
    expect(Tensor.fromQ8(new Int8Array(0), new Float32Array(0), [0, 5]).toQ8Parts().scales.length).toBe(0);
    const noCols = Tensor.fromQ8(new Int8Array(0), new Float32Array([1, 2, 3]), [3, 0]);
    expect([noCols.shape, noCols.toQ8Parts().values.length, noCols.toQ8Parts().scales.length]).toEqual([[3, 0], 0, 3]);
  });

  it('reject bad arguments with typed errors naming the problem', () => {
    const v = new Int8Array(6),
      s = new Float32Array(2);
    expect(() => Tensor.fromQ8(new Uint8Array(6) as unknown as Int8Array, s, [2, 3])).toThrow(DTypeError);
    expect(() => Tensor.fromQ8(v, new Float64Array(2) as unknown as Float32Array, [2, 3])).toThrow(DTypeError);
    expect(() => Tensor.fromQ8(v, s, [6] as unknown as [number, number])).toThrow(/\[rows, cols\]/);
    expect(() => Tensor.fromQ8(v, s, [2, 1.5])).toThrow(ShapeError);
    expect(() => Tensor.fromQ8(v, s, [3, 2])).toThrow(/2 scales for 3 rows/);
    expect(() => Tensor.fromQ8(v, s, [2, 4])).toThrow(/6 values do not fill \[2,4\]/);
    for (const bad of [-1, NaN, Infinity]) {
      const e = (() => {
        try {
          Tensor.fromQ8(v, new Float32Array([1, bad]), [2, 3]);
        } catch (err) {
          return err;
        }
      })();
      expect(e).toBeInstanceOf(TensorError);
      expect(String(e)).toContain(`scales[1] is ${bad}`);
    }
    expect(() => Tensor.zeros([2, 3]).toQ8Parts()).toThrow(DTypeError);
  });
});
