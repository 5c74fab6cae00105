import { type Tensor, rotary } from '@gptj/tensor';

/**
 * Rotary position embedding on the first `rotaryDim` dims of each head (the rest pass through).
 * 'interleaved' rotates pairs (x0,x1),(x2,x3)... (GPT-J "rotate every two"); 'half' rotates (x_i, x_{i+r/2})
 * (GPT-NeoX, Llama). Angles pos * base^(-2i/rotaryDim), computed in f32.
 */
export interface RotaryOptions {
  rotaryDim: number;
  style: 'interleaved' | 'half';
  base?: number;
}

export class RotaryEmbedding {
  readonly rotaryDim: number;
  readonly style: 'interleaved' | 'half';
  readonly base: number;

  constructor(opts: RotaryOptions) {
    if (opts.rotaryDim <= 0 || opts.rotaryDim % 2 !== 0) throw new RangeError(`RotaryEmbedding: rotaryDim must be even and positive, got ${opts.rotaryDim}`);
    this.rotaryDim = opts.rotaryDim;
    this.style = opts.style;
    this.base = opts.base ?? 10000;
  }

  /** x f32 [B, T, H, D], positions i32 [B, T] -> f32 [B, T, H, D] */
  apply(x: Tensor, positions: Tensor): Tensor {
    return rotary(x, positions, { rotaryDim: this.rotaryDim, style: this.style, base: this.base });
  }
}
