// Reductions over the last dim: layerNorm and softmax (f32, f32 accumulation).
import { dispatch } from '../backend.js';
import { allocTensor, type Tensor } from '../tensor.js';
import { expectDType, expectFinite, expectRank, expectTensor, fill, shapeError } from './check.js';
import { TensorError } from '../errors.js';

/** x: f32 [..., D], gamma/beta: [D] (f32 | f16 | bf16) -> f32 [..., D]; biased variance, as torch. */
export function layerNorm(x: Tensor, gamma: Tensor, beta: Tensor, eps: number): Tensor {
  const op = 'layerNorm';
  expectTensor(op, 'x', x);
  expectTensor(op, 'gamma', gamma);
  expectTensor(op, 'beta', beta);
  const args = { x, gamma, beta };
  const backend = dispatch(op, args);
  expectDType(op, args, 'x', ['f32']);
  expectDType(op, args, 'gamma', ['f32', 'f16', 'bf16']);
  expectDType(op, args, 'beta', ['f32', 'f16', 'bf16']);
  expectRank(op, args, 'x', { min: 1 });
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
  expectTensor(op, 'x', x);
  const backend = dispatch(op, { x });
  expectDType(op, { x }, 'x', ['f32']);
  expectRank(op, { x }, 'x', { min: 1 });
  if (x.shape[x.shape.length - 1] === 0) throw shapeError(op, { x }, 'the softmax dim is empty');
  const out = allocTensor(backend, x.shape, 'f32');
  return fill(out, () => backend.softmax(x, out));
}
