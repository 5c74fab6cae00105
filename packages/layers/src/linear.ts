import { type Tensor, linear, linearAsync } from '@gptj/tensor';

/** y = x @ W^T + b. W [N, K] in any weight dtype (f32/f16/bf16/q8, used as stored), b f32 [N]. */
export class Linear {
  readonly inFeatures: number;
  readonly outFeatures: number;

  constructor(
    readonly weight: Tensor,
    readonly bias?: Tensor,
  ) {
    if (weight.shape.length !== 2) throw new RangeError(`Linear: weight must be [out, in], got [${weight.shape}]`);
    [this.outFeatures, this.inFeatures] = weight.shape as [number, number];
    if (bias && (bias.shape.length !== 1 || bias.shape[0] !== this.outFeatures)) {
      throw new RangeError(`Linear: bias must be [${this.outFeatures}], got [${bias.shape}]`);
    }
  }

  /** x f32 [..., K] -> f32 [..., N], computed off the JS thread. */
  forward(x: Tensor): Promise<Tensor> {
    return linearAsync(x, this.weight, this.bias);
  }

  /** Same as forward, on the calling thread (for small inputs). */
  forwardSync(x: Tensor): Tensor {
    return linear(x, this.weight, this.bias);
  }

  dispose(): void {
    this.weight.dispose();
    this.bias?.dispose();
  }
}
