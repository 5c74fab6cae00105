// Random weights as plain Float32Arrays (what a checkpoint reader would hand over), and the kit layers that hold
// them. Shared by the bring-your-own-architecture examples; seeded, so a model is the same on every run and in its test.
import { LayerNorm, Linear } from '@gptj/layers';
import { Tensor } from '@gptj/tensor';

export interface NormWeights {
  weight: Float32Array;
  bias: Float32Array;
} // [D], [D]
export interface ProjWeights {
  weight: Float32Array;
  bias?: Float32Array;
  shape: [number, number];
} // [out, in], [out]

/** Float32Arrays uniform in [center - scale, center + scale) (xorshift32, seeded). */
export function seededUniform(seed: number): (n: number, scale: number, center?: number) => Float32Array {
  let s = seed >>> 0 || 1;
  return (n, scale, center = 0) => {
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      s ^= s << 13;
      s ^= s >>> 17;
      s ^= s << 5;
      out[i] = center + (((s >>> 0) / 2 ** 32) * 2 - 1) * scale;
    }
    return out;
  };
}

export type Uniform = ReturnType<typeof seededUniform>;

/** Gains near 1 and small offsets, so that every norm matters. */
export const randomNorm = (u: Uniform, d: number): NormWeights => ({ weight: u(d, 0.2, 1), bias: u(d, 0.1) });

/** Scaled by 1/sqrt(in) so activations stay near unit size through the layers. */
export const randomProj = (u: Uniform, out: number, inp: number, bias = true): ProjWeights => ({
  weight: u(out * inp, 1.5 / Math.sqrt(inp)),
  ...(bias ? { bias: u(out, 0.1) } : {}),
  shape: [out, inp],
});

export const toLayerNorm = (n: NormWeights, eps: number) =>
  new LayerNorm(Tensor.fromArray(n.weight, [n.weight.length]), Tensor.fromArray(n.bias, [n.bias.length]), eps);

export const toLinear = (p: ProjWeights) => new Linear(Tensor.fromArray(p.weight, p.shape), p.bias ? Tensor.fromArray(p.bias, [p.shape[0]]) : undefined);
