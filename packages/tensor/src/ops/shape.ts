// concat / slice / transpose: contiguous copies (all dtypes but q8 and q4), through one strided-copy kernel.
import { dispatch } from '../backend.js';
import { DTypeError, TensorError, describeArgs } from '../errors.js';
import { allocTensor, type Tensor } from '../tensor.js';
import { expectInt, expectTensor, fill, normAxis, shapeError, stridesOf } from './check.js';

function noQ8(op: string, t: Tensor, args: Record<string, Tensor>): void {
  if (t.dtype === 'q8' || t.dtype === 'q4')
    throw new DTypeError(`${op}: ${t.dtype} tensors cannot be re-laid out (their rows carry scales)${describeArgs(args)}`);
}

/** Joins tensors of one dtype along `axis`; every other dim must match. */
export function concat(ts: readonly Tensor[], axis: number): Tensor {
  const op = 'concat';
  if (!Array.isArray(ts as unknown) || ts.length === 0) throw new TensorError(`${op}: expected a non-empty array of tensors`);
  ts.forEach((t: unknown, i) => expectTensor(op, `ts[${i}]`, t));
  const args: Record<string, Tensor> = Object.fromEntries(ts.map((t, i) => [`ts[${i}]`, t]));
  const backend = dispatch(op, args);
  const first = ts[0];
  const rank = first.shape.length;
  if (rank === 0) throw shapeError(op, args, 'cannot concat scalars');
  const ax = normAxis(op, axis, rank);
  for (const t of ts) {
    noQ8(op, t, args);
    if (t.dtype !== first.dtype) throw new DTypeError(`${op}: all tensors must share one dtype${describeArgs(args)}`);
    if (t.shape.length !== rank || t.shape.some((d, i) => i !== ax && d !== first.shape[i])) throw shapeError(op, args, `shapes differ outside axis ${ax}`);
  }
  const total = ts.reduce((s, t) => s + t.shape[ax], 0);
  const outShape = first.shape.map((d, i) => (i === ax ? total : d));
  const outer = first.shape.slice(0, ax).reduce((a, b) => a * b, 1);
  const inner = first.shape.slice(ax + 1).reduce((a, b) => a * b, 1);
  const out = allocTensor(backend, outShape, first.dtype);
  return fill(out, () => {
    let at = 0;
    for (const t of ts) {
      const n = t.shape[ax] * inner;
      if (n > 0 && outer > 0)
        backend.stridedCopy(t, out, { shape: [outer, n], srcStrides: [n, 1], srcOffset: 0, dstStrides: [total * inner, 1], dstOffset: at });
      at += n;
    }
  });
}

/** x[..., start:end, ...] along `axis` (negative start/end/axis count from the end), as a copy. */
export function slice(x: Tensor, axis: number, start: number, end: number): Tensor {
  const op = 'slice';
  expectTensor(op, 'x', x);
  const backend = dispatch(op, { x });
  noQ8(op, x, { x });
  if (x.shape.length === 0) throw shapeError(op, { x }, 'cannot slice a scalar');
  const ax = normAxis(op, axis, x.shape.length);
  const dim = x.shape[ax];
  let s = expectInt(op, 'start', start, -dim, dim);
  let e = expectInt(op, 'end', end, -dim, dim);
  if (s < 0) s += dim;
  if (e < 0) e += dim;
  if (e < s) throw shapeError(op, { x }, `end ${end} is before start ${start} on axis ${ax}`);
  const outShape = x.shape.map((d, i) => (i === ax ? e - s : d));
  const outer = x.shape.slice(0, ax).reduce((a, b) => a * b, 1);
  const inner = x.shape.slice(ax + 1).reduce((a, b) => a * b, 1);
  const out = allocTensor(backend, outShape, x.dtype);
  if (out.size === 0) return out;
  return fill(out, () =>
    backend.stridedCopy(x, out, {
      shape: [outer, (e - s) * inner],
      srcStrides: [dim * inner, 1],
      srcOffset: s * inner,
      dstStrides: [(e - s) * inner, 1],
      dstOffset: 0,
    }),
  );
}

/** Swaps two axes, as a contiguous copy. */
export function transpose(x: Tensor, axisA: number, axisB: number): Tensor {
  const op = 'transpose';
  expectTensor(op, 'x', x);
  const backend = dispatch(op, { x });
  noQ8(op, x, { x });
  const rank = x.shape.length;
  if (rank === 0) throw shapeError(op, { x }, 'cannot transpose a scalar');
  const a = normAxis(op, axisA, rank),
    b = normAxis(op, axisB, rank);
  const perm = x.shape.map((_, i) => (i === a ? b : i === b ? a : i));
  const inStrides = stridesOf(x.shape);
  const outShape = perm.map((p) => x.shape[p]);
  const out = allocTensor(backend, outShape, x.dtype);
  if (out.size === 0) return out;
  return fill(out, () =>
    backend.stridedCopy(x, out, { shape: outShape, srcStrides: perm.map((p) => inStrides[p]), srcOffset: 0, dstStrides: stridesOf(outShape), dstOffset: 0 }),
  );
}
