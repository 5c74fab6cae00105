// Elementwise f32 ops: add/mul (numpy broadcasting), scale, gelu.
import type { BroadcastLayout } from '../backend.js';
import { allocTensor, type Tensor } from '../tensor.js';
import { TensorError } from '../errors.js';
import { checkTensors, fill, shapeError } from './check.js';

/**
 * Output shape of a broadcast and each input's element strides over it (0 on broadcast dims),
 * with adjacent dims merged where both inputs stay contiguous-or-broadcast across them.
 */
export function broadcastLayout(op: string, a: Tensor, b: Tensor): { outShape: number[]; layout: BroadcastLayout } {
  const nd = Math.max(a.shape.length, b.shape.length, 1);
  const outShape: number[] = [],
    as: number[] = [],
    bs: number[] = [];
  let sa = 1,
    sb = 1;
  for (let i = 0; i < nd; i++) {
    const da = a.shape[a.shape.length - 1 - i] ?? 1,
      db = b.shape[b.shape.length - 1 - i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) throw shapeError(op, { a, b }, `shapes [${a.shape.join(',')}] and [${b.shape.join(',')}] do not broadcast`);
    const d = da === 1 ? db : da;
    outShape.unshift(d);
    as.unshift(da === 1 && d !== 1 ? 0 : sa);
    bs.unshift(db === 1 && d !== 1 ? 0 : sb);
    sa *= da;
    sb *= db;
  }
  // merge dim i into i+1 when both strides chain (stride[i] == stride[i+1] * shape[i+1])
  const shape = [outShape[0]],
    ms = [as[0]],
    ns = [bs[0]];
  for (let i = 1; i < nd; i++) {
    const k = shape.length - 1;
    if (ms[k] === as[i] * outShape[i] && ns[k] === bs[i] * outShape[i]) {
      shape[k] *= outShape[i];
      ms[k] = as[i];
      ns[k] = bs[i];
    } else {
      shape.push(outShape[i]);
      ms.push(as[i]);
      ns.push(bs[i]);
    }
  }
  return { outShape: a.shape.length === 0 && b.shape.length === 0 ? [] : outShape, layout: { shape, aStrides: ms, bStrides: ns } };
}

function binary(op: 'add' | 'mul', a: Tensor, b: Tensor): Tensor {
  const backend = checkTensors(op, { a, b }, { a: { dtypes: ['f32'] }, b: { dtypes: ['f32'] } });
  const { outShape, layout } = broadcastLayout(op, a, b);
  const out = allocTensor(backend, outShape, 'f32');
  if (out.size === 0) return out;
  return fill(out, () => backend.binary(op, a, b, out, layout));
}

/** a + b, f32, numpy broadcasting. */
export function add(a: Tensor, b: Tensor): Tensor {
  return binary('add', a, b);
}

/** a * b, f32, numpy broadcasting. */
export function mul(a: Tensor, b: Tensor): Tensor {
  return binary('mul', a, b);
}

/** x * s, f32. */
export function scale(x: Tensor, s: number): Tensor {
  const op = 'scale';
  const backend = checkTensors(op, { x }, { x: { dtypes: ['f32'] } });
  if (typeof s !== 'number') throw new TensorError(`${op}: s must be a number, got ${typeof s}`);
  const out = allocTensor(backend, x.shape, 'f32');
  return fill(out, () => backend.scale(x, s, out));
}

/** GELU, f32: 'tanh' = HF gelu_new (tanh approximation), 'none' = exact erf form. */
export function gelu(x: Tensor, approximate: 'tanh' | 'none'): Tensor {
  const op = 'gelu';
  const backend = checkTensors(op, { x }, { x: { dtypes: ['f32'] } });
  if (approximate !== 'tanh' && approximate !== 'none') throw new TensorError(`${op}: approximate must be 'tanh' or 'none', got ${String(approximate)}`);
  const out = allocTensor(backend, x.shape, 'f32');
  return fill(out, () => backend.gelu(x, approximate, out));
}
