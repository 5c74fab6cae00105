import { ShapeError, type Tensor, attentionAsync } from '@gptj/tensor';
import type { KVCache } from './kv-cache.js';
import type { Linear } from './linear.js';
import type { RotaryEmbedding } from './rotary.js';

/** What one attention call needs besides its input: where it sits in the sequence and what it may see. */
export interface AttentionContext {
  positions: Tensor; // i32 [B, T]: position id of each new token (rotary)
  cache: KVCache; // keys/values of earlier positions; the new ones are written at `offset`
  offset: number; // positions already in the cache (same for every row; left padding fills the gap)
  mask?: Tensor; // i32 [B, offset + T]: 1 = real token, 0 = padding (never attended to)
}

export interface AttentionOptions {
  q: Linear;
  k: Linear;
  v: Linear;
  out: Linear; // [D, D] projections (bias optional)
  heads: number;
  rotary?: RotaryEmbedding; // applied to q and k
  scale?: number; // default 1 / sqrt(head dim)
}

/** Causal multi-head self-attention over a preallocated KV cache (prefill, then any number of steps). */
export class MultiHeadAttention {
  readonly heads: number;
  readonly headDim: number;

  constructor(readonly opts: AttentionOptions) {
    this.heads = opts.heads;
    if (opts.q.outFeatures % opts.heads !== 0) throw new RangeError(`MultiHeadAttention: width ${opts.q.outFeatures} is not divisible by ${opts.heads} heads`);
    this.headDim = opts.q.outFeatures / opts.heads;
  }

  /** x f32 [B, T, D] -> f32 [B, T, D] */
  async forward(x: Tensor, ctx: AttentionContext): Promise<Tensor> {
    const [b, t] = x.shape;
    if (b === undefined || t === undefined || x.shape.length !== 3) throw new ShapeError(`MultiHeadAttention: x must be [B, T, D], got [${x.shape}]`);
    const split = (y: Tensor): Tensor => y.reshape([b, t, this.heads, this.headDim]);
    const [q0, k0, v0] = await Promise.all([this.opts.q.forward(x), this.opts.k.forward(x), this.opts.v.forward(x)]);
    const [qh, kh, vh] = [split(q0), split(k0), split(v0)]; // [B, T, H, Dh] views
    const rope = this.opts.rotary;
    const q = rope ? rope.apply(qh, ctx.positions) : qh;
    const k = rope ? rope.apply(kh, ctx.positions) : kh;
    ctx.cache.write(k, vh, ctx.offset); // cache [B, H, Tmax, Dh]
    const o = await attentionAsync(q, ctx.cache.k, ctx.cache.v, {
      // [B, T, H, Dh]
      kvLength: ctx.offset + t,
      ...(ctx.mask ? { mask: ctx.mask } : {}),
      ...(this.opts.scale ? { scale: this.opts.scale } : {}),
    });
    for (const y of new Set([q0, k0, v0, qh, kh, vh, q, k])) y.dispose();
    const merged = o.reshape([b, t, this.heads * this.headDim]); // [B, T, D]
    const out = await this.opts.out.forward(merged);
    o.dispose();
    merged.dispose();
    return out;
  }

  dispose(): void {
    for (const l of [this.opts.q, this.opts.k, this.opts.v, this.opts.out]) l.dispose();
  }
}
