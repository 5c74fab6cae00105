import { type Tensor, layerNorm } from '@gptj/tensor';

/** LayerNorm over the last dim D: (x - mean) / sqrt(var + eps) * gamma + beta. gamma, beta [D]. */
export class LayerNorm {
  constructor(
    readonly gamma: Tensor,
    readonly beta: Tensor,
    readonly eps: number,
  ) {}

  /** x f32 [..., D] -> f32 [..., D] */
  forward(x: Tensor): Tensor {
    return layerNorm(x, this.gamma, this.beta, this.eps);
  }

  dispose(): void {
    this.gamma.dispose();
    this.beta.dispose();
  }
}
