import { type Tensor, add } from '@gptj/tensor';
import type { Block } from './blocks.js';
import type { Embedding } from './embedding.js';
import type { KVCache } from './kv-cache.js';
import type { LayerNorm } from './layer-norm.js';
import type { Linear } from './linear.js';

/** One decoder pass besides its ids: positions, one KV cache per block, and the padding mask. */
export interface DecoderContext {
  positions: Tensor; // i32 [B, T]: position id of each new token (learned positions and rotary)
  caches: readonly KVCache[]; // one per block; the new keys/values are written at `offset`
  offset: number; // positions already in the caches
  mask?: Tensor; // i32 [B, offset + T]: 1 = real token, 0 = padding
}

export interface DecoderParts {
  tokens: Embedding; // [V, D]
  positions?: Embedding; // [P, D] learned absolute positions (GPT-2); omitted when the blocks use rotary
  blocks: readonly Block[];
  finalNorm: LayerNorm;
  head: Linear; // [V, D]; may hold the token table itself (tied embeddings, GPT-2)
}

/**
 * The body every decoder-only language model shares: token (+ position) embeddings, the blocks, a final norm and
 * the LM head. ids i32 [B, T] -> logits f32 [B, T, V]. Prefill with offset 0, then step with offset = length so far.
 */
export class Decoder {
  constructor(readonly parts: DecoderParts) {}

  async forward(ids: Tensor, ctx: DecoderContext): Promise<Tensor> {
    const { tokens, positions, blocks, finalNorm, head } = this.parts;
    if (ctx.caches.length !== blocks.length) throw new RangeError(`Decoder: ${blocks.length} blocks need ${blocks.length} KV caches, got ${ctx.caches.length}`);
    let x = tokens.forward(ids); // [B, T, D]
    if (positions) {
      const p = positions.forward(ctx.positions); // [B, T, D]
      x = replace(x, (t) => add(t, p));
      p.dispose();
    }
    // ctx.caches has one cache per block (checked above)
    for (const [i, block] of blocks.entries()) {
      const y = await block.forward(x, { positions: ctx.positions, cache: ctx.caches[i]!, offset: ctx.offset, ...(ctx.mask ? { mask: ctx.mask } : {}) });
      x.dispose();
      x = y; // [B, T, D]
    }
    const h = replace(x, (t) => finalNorm.forward(t));
    const logits = await head.forward(h); // [B, T, V]
    h.dispose();
    return logits;
  }

  /** Frees every weight once (a head tied to the token table shares it; dispose is idempotent). */
  dispose(): void {
    const { tokens, positions, blocks, finalNorm, head } = this.parts;
    tokens.dispose();
    positions?.dispose();
    for (const b of blocks) b.dispose();
    finalNorm.dispose();
    head.dispose();
  }
}

// f(x), disposing x.
function replace(x: Tensor, f: (x: Tensor) => Tensor): Tensor {
  const y = f(x);
  x.dispose();
  return y;
}
