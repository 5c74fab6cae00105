// Rotary position embedding, KV-cache write, and causal attention over the cache.
import { TensorError } from '../errors.js';
import { allocTensor, type Tensor } from '../tensor.js';
import { checkTensors, expectFinite, expectInt, fill, fillAsync, shapeError, stridesOf } from './check.js';

export interface RotaryOptions {
  rotaryDim: number;
  style: 'interleaved' | 'half';
  base?: number;
}

/**
 * x: f32 [B, T, H, D], positions: i32 [B, T] -> f32 [B, T, H, D]. Rotates the first rotaryDim dims
 * of each head: 'interleaved' pairs (x[2i], x[2i+1]) (GPT-J rotate_every_two), 'half' pairs
 * (x[i], x[i + rotaryDim/2]) (NeoX rotate_half); angle = pos * base^(-2i/rotaryDim) in float32.
 */
export function rotary(x: Tensor, positions: Tensor, opts: RotaryOptions): Tensor {
  const op = 'rotary';
  const args = { x, positions };
  const backend = checkTensors(op, args, { x: { dtypes: ['f32'], rank: 4 }, positions: { dtypes: ['i32'] } });
  const [B, T, , D] = x.shape;
  if (positions.shape.length !== 2 || positions.shape[0] !== B || positions.shape[1] !== T) throw shapeError(op, args, `positions must be [${B}, ${T}]`);
  if (opts == null || typeof opts !== 'object') throw new TensorError(`${op}: opts { rotaryDim, style } are required`);
  const rd = expectInt(op, 'rotaryDim', opts.rotaryDim, 0, D);
  if (rd % 2 !== 0) throw new TensorError(`${op}: rotaryDim must be even, got ${rd}`);
  if (opts.style !== 'interleaved' && opts.style !== 'half') throw new TensorError(`${op}: style must be 'interleaved' or 'half', got ${String(opts.style)}`);
  const base = expectFinite(op, 'base', opts.base ?? 10000);
  if (base <= 0) throw new TensorError(`${op}: base must be > 0, got ${base}`);
  const out = allocTensor(backend, x.shape, 'f32');
  return fill(out, () => backend.rotary(x, positions, rd, opts.style, base, out));
}

/** cache: f32 [B, H, Tmax, D] <- x: f32 [B, T, H, D] at positions offset..offset+T-1, in place. */
export function kvWrite(cache: Tensor, x: Tensor, offset: number): void {
  const op = 'kvWrite';
  const args = { cache, x };
  const backend = checkTensors(op, args, { cache: { dtypes: ['f32'], rank: 4 }, x: { dtypes: ['f32'], rank: 4 } });
  const [B, H, Tmax, D] = cache.shape;
  const T = x.shape[1];
  if (x.shape[0] !== B || x.shape[2] !== H || x.shape[3] !== D)
    throw shapeError(op, args, `x must be [${B}, T, ${H}, ${D}] to match the cache [B, H, Tmax, D]`);
  expectInt(op, 'offset', offset, 0, Tmax);
  if (offset + T > Tmax) throw shapeError(op, args, `offset ${offset} + ${T} new positions overflow the cache of ${Tmax}`);
  if (x.size === 0) return;
  backend.stridedCopy(x, cache, {
    shape: [B, T, H, D],
    srcStrides: stridesOf(x.shape),
    srcOffset: 0,
    dstStrides: [H * Tmax * D, D, Tmax * D, 1],
    dstOffset: offset * D,
  });
}

export interface AttentionOptions {
  kvLength: number;
  mask?: Tensor;
  scale?: number;
}

function checkAttention(op: string, q: Tensor, k: Tensor, v: Tensor, opts: AttentionOptions) {
  if (opts == null || typeof opts !== 'object') throw new TensorError(`${op}: opts { kvLength } are required`);
  const mask = opts.mask ?? null;
  const args = { q, k, v, mask };
  const qkv = { dtypes: ['f32'], rank: 4 } as const;
  const backend = checkTensors(op, args, { q: qkv, k: qkv, v: qkv, mask: { dtypes: ['i32'], optional: true } });
  const [B, T, H, D] = q.shape;
  const Tmax = k.shape[2];
  if (k.shape[0] !== B || k.shape[1] !== H || k.shape[3] !== D) throw shapeError(op, args, `k must be [${B}, ${H}, Tmax, ${D}] for q [B, T, H, D]`);
  if (v.shape.some((d, i) => d !== k.shape[i])) throw shapeError(op, args, 'v must have the shape of k');
  const L = expectInt(op, 'kvLength', opts.kvLength, 0, Tmax);
  if (L < T) throw shapeError(op, args, `kvLength ${L} is shorter than the ${T} queries`);
  if (mask !== null && (mask.shape.length !== 2 || mask.shape[0] !== B || mask.shape[1] !== L))
    throw shapeError(op, args, `mask must be [${B}, ${L}] (batch, kvLength)`);
  const scale = opts.scale === undefined ? 1 / Math.sqrt(D) : expectFinite(op, 'scale', opts.scale);
  return { backend, mask, L, scale };
}

/**
 * Causal attention over a KV cache. q: f32 [B, T, H, D]; k, v: f32 [B, H, Tmax, D] holding kvLength
 * valid positions; query t sits at absolute position kvLength - T + t and sees keys 0..that
 * position whose mask[b, j] is 1 (mask: i32 [B, kvLength], 1 keep, 0 pad). Scores q.k * scale
 * (default 1/sqrt(D)), softmax in f32. Returns f32 [B, T, H, D]; a query with no visible key gets 0.
 */
export function attention(q: Tensor, k: Tensor, v: Tensor, opts: AttentionOptions): Tensor {
  const { backend, mask, L, scale } = checkAttention('attention', q, k, v, opts);
  const out = allocTensor(backend, q.shape, 'f32');
  return fill(out, () => backend.attention(q, k, v, mask, L, scale, out));
}

/** attention computed off the JS main thread. Disposing an input meanwhile rejects with DisposedError. */
export async function attentionAsync(q: Tensor, k: Tensor, v: Tensor, opts: AttentionOptions): Promise<Tensor> {
  const op = 'attentionAsync';
  const { backend, mask, L, scale } = checkAttention(op, q, k, v, opts);
  const out = allocTensor(backend, q.shape, 'f32');
  return fillAsync(op, out, { q, k, v, mask }, () => backend.attentionAsync(q, k, v, mask, L, scale, out));
}
