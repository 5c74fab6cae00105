import { type Tensor, gelu } from '@gptj/tensor';
import type { Linear } from './linear.js';

/** 'gelu_tanh' is the tanh approximation (HF "gelu_new", GPT-2/GPT-J); 'gelu' is exact (erf). */
export type ActivationName = 'gelu' | 'gelu_tanh';
export type Activation = ActivationName | ((x: Tensor) => Tensor);

export function activationFn(a: Activation): (x: Tensor) => Tensor {
  if (typeof a === 'function') return a;
  if (a === 'gelu_tanh') return (x) => gelu(x, 'tanh');
  if (a === 'gelu') return (x) => gelu(x, 'none');
  throw new RangeError(`unknown activation ${String(a)}`);
}

/** Feed-forward: fcOut(act(fcIn(x))). x f32 [..., D] -> [..., I] -> [..., D]. */
export class MLP {
  private readonly act: (x: Tensor) => Tensor;

  constructor(
    readonly fcIn: Linear,
    readonly fcOut: Linear,
    activation: Activation,
  ) {
    this.act = activationFn(activation);
  }

  async forward(x: Tensor): Promise<Tensor> {
    const h = await this.fcIn.forward(x); // [..., I]
    const a = this.act(h);
    h.dispose();
    const y = await this.fcOut.forward(a); // [..., D]
    a.dispose();
    return y;
  }

  dispose(): void {
    this.fcIn.dispose();
    this.fcOut.dispose();
  }
}
