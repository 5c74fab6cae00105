// linear (x @ W^T + b, weights as stored) and batched f32 matmul.
import type { Backend, BatchLayout } from '../backend.js';
import { Q4_GROUP } from '../dtype.js';
import { DeviceError } from '../errors.js';
import { allocTensor, type Tensor } from '../tensor.js';
import { checkTensors, fill, fillAsync, shapeError } from './check.js';

function checkLinear(op: string, x: Tensor, w: Tensor, b: Tensor | null | undefined): { backend: Backend; outShape: number[] } {
  const args = { x, w, b };
  const backend = checkTensors(op, args, {
    x: { dtypes: ['f32'], rank: { min: 1 } },
    w: { dtypes: ['f32', 'f16', 'bf16', 'q8', 'q4'], rank: 2 },
    b: { dtypes: ['f32'], optional: true },
  });
  const K = x.shape[x.shape.length - 1];
  const [N, Kw] = w.shape;
  if (K !== Kw) throw shapeError(op, args, `x has ${K} features but w [N, K] expects ${Kw}`);
  // K = 0 has no use in a model, and the backends derive the row count as size / K
  if (K === 0) throw shapeError(op, args, 'x and w have 0 features (K = 0)');
  if (w.dtype === 'q4') {
    if (w.device !== 'cpu') throw new DeviceError(`${op}: q4 weights are CPU-only (w is on ${w.device})`);
    if (K % Q4_GROUP !== 0) throw shapeError(op, args, `q4 weights need K a multiple of ${Q4_GROUP}, got ${K}`);
  }
  if (b != null && (b.shape.length !== 1 || b.shape[0] !== N)) throw shapeError(op, args, `b must be [${N}]`);
  return { backend, outShape: [...x.shape.slice(0, -1), N] };
}

/** x: f32 [..., K], w: [N, K] (f32 | f16 | bf16 | q8 | q4 on the CPU, used as stored), b?: f32 [N] -> f32 [..., N]. */
export function linear(x: Tensor, w: Tensor, b?: Tensor | null): Tensor {
  const { backend, outShape } = checkLinear('linear', x, w, b);
  const out = allocTensor(backend, outShape, 'f32');
  return fill(out, () => backend.linear(x, w, b ?? null, out));
}

/** linear computed off the JS main thread. Disposing an input meanwhile rejects with DisposedError. */
export async function linearAsync(x: Tensor, w: Tensor, b?: Tensor | null): Promise<Tensor> {
  const op = 'linearAsync';
  const { backend, outShape } = checkLinear(op, x, w, b);
  const out = allocTensor(backend, outShape, 'f32');
  return fillAsync(op, out, { x, w, b }, () => backend.linearAsync(x, w, b ?? null, out));
}

/**
 * a: f32 [..., M, K], b: f32 [..., K, N] -> f32 [..., M, N]; the leading (batch) dims broadcast
 * numpy-style.
 */
export function matmul(a: Tensor, b: Tensor): Tensor {
  const op = 'matmul';
  const args = { a, b };
  const matrices = { dtypes: ['f32'], rank: { min: 2 } } as const;
  const backend = checkTensors(op, args, { a: matrices, b: matrices });
  const [M, K] = a.shape.slice(-2);
  const [Kb, N] = b.shape.slice(-2);
  if (K !== Kb) throw shapeError(op, args, `inner dims differ: a [..., ${M}, ${K}] @ b [..., ${Kb}, ${N}]`);
  const ab = a.shape.slice(0, -2),
    bb = b.shape.slice(0, -2);
  const nd = Math.max(ab.length, bb.length);
  const batch: BatchLayout = { shape: [], aStrides: [], bStrides: [] };
  let sa = 1,
    sb = 1;
  const rev: [number, number, number][] = [];
  for (let i = 0; i < nd; i++) {
    const da = ab[ab.length - 1 - i] ?? 1,
      db = bb[bb.length - 1 - i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) throw shapeError(op, args, `batch dims [${ab.join(',')}] and [${bb.join(',')}] do not broadcast`);
    const d = Math.max(da, db);
    rev.push([d, da === 1 ? 0 : sa, db === 1 ? 0 : sb]);
    sa *= da;
    sb *= db;
  }
  for (const [d, x, y] of rev.reverse()) {
    batch.shape.push(d);
    batch.aStrides.push(d === 1 ? 0 : x);
    batch.bStrides.push(d === 1 ? 0 : y);
  }
  const out = allocTensor(backend, [...batch.shape, M, N], 'f32');
  return fill(out, () => backend.matmul(a, b, out, batch));
}
