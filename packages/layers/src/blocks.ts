import { type Tensor, add } from '@gptj/tensor';
import type { AttentionContext, MultiHeadAttention } from './attention.js';
import type { LayerNorm } from './layer-norm.js';
import type { MLP } from './mlp.js';

/** A transformer block: x f32 [B, T, D] -> f32 [B, T, D]. */
export interface Block {
  forward(x: Tensor, ctx: AttentionContext): Promise<Tensor>;
  dispose(): void;
}

/**
 * Parallel residual: x + attn(attnNorm(x)) + mlp(mlpNorm(x)). GPT-J shares one norm (mlpNorm omitted);
 * GPT-NeoX passes two.
 */
export class ParallelResidualBlock implements Block {
  constructor(readonly parts: { attnNorm: LayerNorm; mlpNorm?: LayerNorm; attn: MultiHeadAttention; mlp: MLP }) {}

  async forward(x: Tensor, ctx: AttentionContext): Promise<Tensor> {
    const { attnNorm, mlpNorm, attn, mlp } = this.parts;
    const hAttn = attnNorm.forward(x);
    const hMlp = mlpNorm ? mlpNorm.forward(x) : hAttn;
    const [a, m] = await Promise.all([attn.forward(hAttn, ctx), mlp.forward(hMlp)]);
    hAttn.dispose();
    if (hMlp !== hAttn) hMlp.dispose();
    const xa = add(x, a);
    const out = add(xa, m);
    for (const t of [a, m, xa]) t.dispose();
    return out;
  }

  dispose(): void {
    const { attnNorm, mlpNorm, attn, mlp } = this.parts;
    attnNorm.dispose();
    mlpNorm?.dispose();
    attn.dispose();
    mlp.dispose();
  }
}

/** Sequential residual (GPT-2): x = x + attn(norm1(x)); x = x + mlp(norm2(x)). */
export class SequentialResidualBlock implements Block {
  constructor(readonly parts: { attnNorm: LayerNorm; mlpNorm: LayerNorm; attn: MultiHeadAttention; mlp: MLP }) {}

  async forward(x: Tensor, ctx: AttentionContext): Promise<Tensor> {
    const { attnNorm, mlpNorm, attn, mlp } = this.parts;
    const h1 = attnNorm.forward(x);
    const a = await attn.forward(h1, ctx);
    const x1 = add(x, a);
    const h2 = mlpNorm.forward(x1);
    const m = await mlp.forward(h2);
    const out = add(x1, m);
    for (const t of [h1, a, x1, h2, m]) t.dispose();
    return out;
  }

  dispose(): void {
    const { attnNorm, mlpNorm, attn, mlp } = this.parts;
    attnNorm.dispose();
    mlpNorm.dispose();
    attn.dispose();
    mlp.dispose();
  }
}
