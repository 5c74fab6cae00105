// Index ops: embedding gather, argmax, topk.
import { allocTensor, type Tensor } from '../tensor.js';
import { checkTensors, expectInt, fill, shapeError } from './check.js';

/**
 * table: [V, D] (f32 | f16 | bf16 | q8), ids: i32 of any shape -> f32 [...ids.shape, D].
 * An id outside [0, V) throws an IndexError naming it.
 */
export function embedding(table: Tensor, ids: Tensor): Tensor {
  const op = 'embedding';
  const backend = checkTensors(op, { table, ids }, { table: { dtypes: ['f32', 'f16', 'bf16', 'q8'], rank: 2 }, ids: { dtypes: ['i32'] } });
  const out = allocTensor(backend, [...ids.shape, table.shape[1]], 'f32');
  return fill(out, () => backend.embedding(table, ids, out));
}

/** Index of the largest value over the last dim (first one on ties): f32 [..., V] -> i32 [...]. */
export function argmax(x: Tensor): Tensor {
  const op = 'argmax';
  const backend = checkTensors(op, { x }, { x: { dtypes: ['f32'], rank: { min: 1 } } });
  if (x.shape[x.shape.length - 1] === 0) throw shapeError(op, { x }, 'the last dim is empty');
  const out = allocTensor(backend, x.shape.slice(0, -1), 'i32');
  return fill(out, () => backend.argmax(x, out));
}

/**
 * The k largest values over the last dim, sorted descending (ties: lower index first):
 * f32 [..., V] -> { values: f32 [..., k], indices: i32 [..., k] }.
 */
export function topk(x: Tensor, k: number): { values: Tensor; indices: Tensor } {
  const op = 'topk';
  const backend = checkTensors(op, { x }, { x: { dtypes: ['f32'], rank: { min: 1 } } });
  const V = x.shape[x.shape.length - 1];
  if (V === 0) throw shapeError(op, { x }, 'the last dim is empty');
  expectInt(op, 'k', k, 0, V);
  const shape = [...x.shape.slice(0, -1), k];
  const values = allocTensor(backend, shape, 'f32');
  const indices = allocTensor(backend, shape, 'i32');
  try {
    backend.topk(x, k, values, indices);
  } catch (e) {
    values.dispose();
    indices.dispose();
    throw e;
  }
  return { values, indices };
}
