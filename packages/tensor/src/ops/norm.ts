// Reductions over the last dim: layerNorm and softmax (f32, f32 accumulation).
import { allocTensor, type Tensor } from '../tensor.js';
import { checkTensors, expectFinite, fill, shapeError } from './check.js';
import { TensorError } from '../errors.js';

/** x: f32 [..., D], gamma/beta: [D] (f32 | f16 | bf16) -> f32 [..., D]; biased variance, as torch. */
export function layerNorm(x: Tensor, gamma: Tensor, beta: Tensor, eps: number): Tensor {
  const op = 'layerNorm';
  const args = { x, gamma, beta };
  const param = { dtypes: ['f32', 'f16', 'bf16'] } as const;
  const backend = checkTensors(op, args, { x: { dtypes: ['f32'], rank: { min: 1 } }, gamma: param, beta: param });
  const D = x.shape[x.shape.length - 1];
  if (D === 0) throw shapeError(op, args, 'the normalized dim is empty');
  if (gamma.shape.length !== 1 || gamma.shape[0] !== D) throw shapeError(op, args, `gamma must be [${D}]`);
  if (beta.shape.length !== 1 || beta.shape[0] !== D) throw shapeError(op, args, `beta must be [${D}]`);
  if (expectFinite(op, 'eps', eps) < 0) throw new TensorError(`${op}: eps must be >= 0, got ${eps}`);
  const out = allocTensor(backend, x.shape, 'f32');
  return fill(out, () => backend.layerNorm(x, gamma, beta, eps, out));
}

/** Softmax over the last dim: f32 [..., V] -> f32 [..., V]. */
export function softmax(x: Tensor): Tensor {
  const op = 'softmax';
  const backend = checkTensors(op, { x }, { x: { dtypes: ['f32'], rank: { min: 1 } } });
  if (x.shape[x.shape.length - 1] === 0) throw shapeError(op, { x }, 'the softmax dim is empty');
  const out = allocTensor(backend, x.shape, 'f32');
  return fill(out, () => backend.softmax(x, out));
}
