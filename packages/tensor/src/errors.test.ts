// Malformed calls throw typed errors that name the op and the tensors; none crashes the process.
import { describe, expect, it } from 'vitest';
import {
  DTypeError,
  DisposedError,
  IndexError,
  ShapeError,
  Tensor,
  TensorError,
  add,
  argmax,
  attention,
  cast,
  concat,
  embedding,
  gelu,
  kvWrite,
  layerNorm,
  linear,
  matmul,
  rotary,
  scale,
  setNumThreads,
  slice,
  softmax,
  topk,
  transpose,
} from './index.js';
import { cpu } from './native.js';

const f = (shape: number[]) => Tensor.zeros(shape);
const i32 = (data: number[], shape: number[]) => Tensor.fromArray(data, shape, { dtype: 'i32' });

describe('typed errors from the TS checks', () => {
  it('shape mismatches', () => {
    expect(() => add(f([2, 3]), f([4]))).toThrow(ShapeError);
    expect(() => add(f([2, 3]), f([4]))).toThrow(/add: shapes \[2,3\] and \[4\] do not broadcast \(a: f32\[2,3\]@cpu, b: f32\[4\]@cpu\)/);
    expect(() => linear(f([2, 5]), f([3, 4]))).toThrow(/linear: x has 5 features but w \[N, K\] expects 4/);
    expect(() => linear(f([2, 4]), f([3, 4]), f([4]))).toThrow(ShapeError);
    expect(() => linear(f([2, 4]), f([4]))).toThrow(ShapeError);
    expect(() => matmul(f([2, 3]), f([4, 5]))).toThrow(ShapeError);
    expect(() => matmul(f([2, 2, 3]), f([3, 3, 5]))).toThrow(ShapeError);
    expect(() => layerNorm(f([2, 4]), f([3]), f([4]), 1e-5)).toThrow(ShapeError);
    expect(() => rotary(f([1, 2, 1, 8]), i32([0], [1, 1]), { rotaryDim: 8, style: 'interleaved' })).toThrow(ShapeError);
    expect(() => rotary(f([1, 2, 8]), i32([0, 1], [1, 2]), { rotaryDim: 8, style: 'interleaved' })).toThrow(ShapeError);
    expect(() => kvWrite(f([1, 2, 4, 8]), f([1, 3, 2, 8]), 2)).toThrow(/overflow the cache/);
    expect(() => kvWrite(f([1, 2, 4, 8]), f([1, 1, 3, 8]), 0)).toThrow(ShapeError);
    expect(() => attention(f([1, 2, 2, 8]), f([1, 2, 4, 8]), f([1, 2, 4, 8]), { kvLength: 1 })).toThrow(/shorter than/);
    expect(() => attention(f([1, 1, 2, 8]), f([1, 2, 4, 8]), f([1, 2, 5, 8]), { kvLength: 1 })).toThrow(ShapeError);
    expect(() => attention(f([1, 1, 2, 8]), f([1, 2, 4, 8]), f([1, 2, 4, 8]), { kvLength: 3, mask: i32([1, 1], [1, 2]) })).toThrow(ShapeError);
    expect(() => concat([f([2, 3]), f([3, 3])], 1)).toThrow(ShapeError);
    expect(() => slice(f([4]), 0, 3, 1)).toThrow(ShapeError);
    expect(() => softmax(f([2, 0]))).toThrow(ShapeError);
    expect(() => embedding(f([4]), i32([0], [1]))).toThrow(ShapeError);
  });

  it('dtype mismatches', () => {
    const h = Tensor.zeros([2, 4], 'f16');
    expect(() => add(h, f([2, 4]))).toThrow(DTypeError);
    expect(() => linear(h, f([3, 4]))).toThrow(/linear: x must be f32, got f16/);
    expect(() => linear(f([2, 4]), Tensor.zeros([3, 4], 'i32'))).toThrow(DTypeError);
    expect(() => matmul(f([2, 4]), Tensor.zeros([4, 2], 'bf16'))).toThrow(DTypeError);
    expect(() => gelu(Tensor.zeros([2], 'i32'), 'tanh')).toThrow(DTypeError);
    expect(() => rotary(f([1, 1, 1, 8]), f([1, 1]), { rotaryDim: 8, style: 'half' })).toThrow(DTypeError);
    expect(() => embedding(f([4, 2]), f([1]))).toThrow(DTypeError);
    expect(() => cast(f([2]), 'i32')).toThrow(DTypeError);
    expect(() => cast(f([2]), 'f64' as 'f32')).toThrow(DTypeError);
    expect(() => concat([f([2]), h.reshape([8])], 0)).toThrow(DTypeError);
    expect(() => transpose(Tensor.zeros([2, 2], 'q8'), 0, 1)).toThrow(DTypeError);
    expect(() => Tensor.zeros([2], 'i32').toFloat32Array()).toThrow(DTypeError);
    expect(() => f([2]).toInt32Array()).toThrow(DTypeError);
  });

  it('disposed tensors', () => {
    const x = f([2, 4]);
    const w = f([3, 4]);
    w.dispose();
    expect(() => linear(x, w)).toThrow(DisposedError);
    expect(() => linear(x, w)).toThrow(/linear: w was disposed/);
    x.dispose();
    for (const call of [() => add(x, x), () => scale(x, 2), () => softmax(x), () => argmax(x), () => x.to('cpu'), () => cast(x, 'f16')])
      expect(call).toThrow(DisposedError);
  });

  it('bad options and numbers', () => {
    const x = f([1, 2, 1, 8]);
    const pos = i32([0, 1], [1, 2]);
    expect(() => rotary(x, pos, { rotaryDim: 7, style: 'interleaved' })).toThrow(TensorError);
    expect(() => rotary(x, pos, { rotaryDim: 16, style: 'interleaved' })).toThrow(TensorError);
    expect(() => rotary(x, pos, { rotaryDim: 8, style: 'neox' as 'half' })).toThrow(TensorError);
    expect(() => rotary(x, pos, undefined as never)).toThrow(TensorError);
    expect(() => gelu(f([2]), 'fast' as 'tanh')).toThrow(TensorError);
    expect(() => layerNorm(f([2]), f([2]), f([2]), NaN)).toThrow(TensorError);
    expect(() => kvWrite(f([1, 1, 4, 8]), f([1, 1, 1, 8]), 1.5)).toThrow(TensorError);
    expect(() => attention(x, f([1, 1, 4, 8]), f([1, 1, 4, 8]), { kvLength: 2.5 })).toThrow(TensorError);
    expect(() => topk(f([2, 5]), 6)).toThrow(TensorError);
    expect(() => concat([], 0)).toThrow(TensorError);
    expect(() => slice(f([2]), 1, 0, 1)).toThrow(TensorError);
    expect(() => transpose(f([2, 2]), 0, 2)).toThrow(TensorError);
    expect(() => add(f([1]), [1] as unknown as Tensor)).toThrow(/add: b must be a Tensor/);
    expect(() => setNumThreads(0)).toThrow(TensorError);
  });

  it('out-of-range embedding ids', () => {
    const table = f([10, 4]);
    expect(() => embedding(table, i32([1, 10], [2]))).toThrow(IndexError);
    expect(() => embedding(table, i32([-1], [1]))).toThrow(/id -1 at position 0 is outside \[0, 10\)/);
  });
});

describe('the addon defends itself', () => {
  it('rejects garbage arguments with exceptions', () => {
    const s = new cpu.Storage(16, true);
    expect(() => cpu.scale({} as never, s, 4, 1)).toThrow(TypeError);
    expect(() => cpu.scale(s, s, 5, 1)).toThrow(RangeError); // 5 floats do not fit 16 bytes
    expect(() => cpu.scale(s, s, 1.5, 1)).toThrow(RangeError);
    expect(() => cpu.scale(s, s, -1, 1)).toThrow(RangeError);
    expect(() => cpu.linear(s, s, 9, null, s, 2, 2, 1, false)).toThrow(RangeError);
    expect(() => cpu.stridedCopy(s, s, 4, [2, 3], [1, 1], 0, [3, 1], 0)).toThrow(RangeError);
    expect(() => cpu.binary(0, s, s, s, [5], [1], [1])).toThrow(RangeError);
    expect(() => cpu.attention(s, s, s, null, s, 1, 2, 1, 1, 1, 2, 1, false)).toThrow(RangeError);
    // dims whose products overflow 64-bit integers are still caught by the bounds checks
    expect(() => cpu.softmax(s, s, 2 ** 40, 2 ** 40)).toThrow(RangeError);
    expect(() => cpu.matmul(s, s, s, [2 ** 40, 2 ** 40], [1, 1], [1, 1], 2 ** 20, 2 ** 20, 2 ** 20)).toThrow(RangeError);
    expect(() => cpu.stridedCopy(s, s, 4, [2 ** 40, 2 ** 40], [2 ** 40, 2 ** 40], 0, [0, 0], 0)).toThrow(RangeError);
    expect(() => cpu.attention(s, s, s, null, s, 2 ** 31, 2 ** 31, 2 ** 31, 2 ** 31, 2 ** 31, 2 ** 31, 1, false)).toThrow(RangeError);
    expect(() => new cpu.Storage('x' as never)).toThrow(TypeError);
    expect(() => (cpu.scale as (...a: unknown[]) => void)()).toThrow(TypeError);
    const fake = Object.create(Object.getPrototypeOf(s));
    expect(() => cpu.scale(fake, s, 1, 1)).toThrow();
    s.free();
    expect(() => cpu.scale(s, s, 1, 1)).toThrow(/disposed/);
    s.free();
  });
});
