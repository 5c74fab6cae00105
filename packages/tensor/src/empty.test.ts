// Zero-element tensors ([0, 3], [2, 0]...) are legal: a batch of no rows, a prompt of no tokens. Every op
// on one returns a zero-element result of the expected shape, or (when the op has no meaning there, e.g.
// argmax over a row of no values) a ShapeError; never a crash, and never a DisposedError about a live tensor.
// Before: Tensor.fromBytes over a zero-length ArrayBuffer made a native view with a null data pointer,
// which every op read as a freed storage ("cast: x was disposed").
import { describe, expect, it } from 'vitest';
import { ShapeError, Tensor, add, argmax, cast, concat, gelu, layerNorm, linear, matmul, mul, scale, slice, softmax, topk, transpose } from './index.js';

type Make = (shape: number[]) => Tensor;
const makers: Record<string, Make> = {
  'fromBytes(empty buffer)': (shape) => Tensor.fromBytes(new Uint8Array(0), shape, 'f32'),
  'fromBytes(empty view of a buffer)': (shape) => Tensor.fromBytes(new Uint8Array(new ArrayBuffer(16), 8, 0), shape, 'f32'),
  fromArray: (shape) => Tensor.fromArray(new Float32Array(0), shape),
  zeros: (shape) => Tensor.zeros(shape),
};

/** The op's result has `shape` and no elements. */
function expectEmpty(out: Tensor, shape: number[]): void {
  expect(out.shape).toEqual(shape);
  expect(out.toBytes()).toHaveLength(0);
  out.dispose();
}

describe.each(Object.entries(makers))('a [0, 3] tensor made by %s', (_, make) => {
  it('casts to every float dtype and q8, and back', () => {
    const x = make([0, 3]);
    for (const dtype of ['f32', 'f16', 'bf16', 'q8'] as const) {
      const c = cast(x, dtype);
      expect(c.shape).toEqual([0, 3]);
      expect(c.dtype).toBe(dtype);
      const back = cast(c, 'f32');
      expect(back.toFloat32Array()).toHaveLength(0);
      back.dispose();
      c.dispose();
    }
    expect(x.toBytes()).toHaveLength(0);
    expect(x.toString()).toContain('[0,3]');
    x.dispose();
  });

  it('elementwise, norm, linear, index and shape ops give zero-element results', () => {
    const x = make([0, 3]);
    const w = Tensor.fromArray([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12], [4, 3]);
    const ones = Tensor.fromArray([1, 1, 1], [3]);
    const zeros3 = Tensor.zeros([3]);
    expectEmpty(add(x, x), [0, 3]);
    expectEmpty(mul(x, ones), [0, 3]);
    expectEmpty(scale(x, 2), [0, 3]);
    expectEmpty(gelu(x, 'tanh'), [0, 3]);
    expectEmpty(softmax(x), [0, 3]);
    expectEmpty(layerNorm(x, ones, zeros3, 1e-5), [0, 3]);
    expectEmpty(linear(x, w), [0, 4]);
    expectEmpty(matmul(x, transpose(w, 0, 1)), [0, 4]);
    expectEmpty(transpose(x, 0, 1), [3, 0]);
    expectEmpty(concat([x, x], 0), [0, 3]);
    expectEmpty(slice(x, 1, 0, 2), [0, 2]);
    expectEmpty(argmax(x), [0]);
    expectEmpty(topk(x, 1).values, [0, 1]);
    expectEmpty(x.reshape([3, 0]), [3, 0]);
    for (const t of [x, w, ones, zeros3]) t.dispose();
  });

  it('a zero-width [2, 0] tensor: linear refuses K = 0, row-wise reductions refuse empty rows, the rest works', () => {
    const x = make([2, 0]);
    const w = Tensor.zeros([4, 0]);
    expect(() => linear(x, w)).toThrow(ShapeError);
    expect(() => linear(x, w)).toThrow(/linear: x and w have 0 features \(K = 0\)/);
    const z = Tensor.zeros([0, 4]);
    const y = matmul(x, z);
    expect(y.shape).toEqual([2, 4]);
    expect([...y.toFloat32Array()]).toEqual(new Array(8).fill(0)); // an empty sum is 0
    expectEmpty(gelu(x, 'none'), [2, 0]);
    // a row of no values has no softmax, argmax or norm: ShapeError saying so
    expect(() => softmax(x)).toThrow(/softmax: the softmax dim is empty/);
    expect(() => layerNorm(x, Tensor.zeros([0]), Tensor.zeros([0]), 1e-5)).toThrow(ShapeError);
    const q = cast(x, 'q8');
    expect(q.toQ8Parts().values).toHaveLength(0);
    q.dispose();
    expect(() => argmax(x)).toThrow(ShapeError);
    for (const t of [x, w, z, y]) t.dispose();
  });
});
