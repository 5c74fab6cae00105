// A naive float64 transformer toolkit for the bring-your-own-architecture tests, one sequence at a time over
// Float64Array: @gptj/tensor/testing's float64 references (plain loops from the papers' and Hugging Face's
// equations, nothing of the kernels or of @gptj/layers under test) in the layout these tests use, plus rotary and
// attention over one sequence. Matrices are row-major; a weight is [out, in] as in torch.nn.Linear.
import { addRef, attentionRefBSHD, geluRef, layerNormRef, linearRef, relErr } from '@gptj/tensor/testing';

export type Vec = Float64Array;

/** x [n, in] -> x W^T + b [n, out] */
export const linear = (x: Vec, w: Float32Array, b: Float32Array | undefined, n: number, inp: number, out: number): Vec => linearRef(x, n, inp, w, out, b);

export const layerNorm = (x: Vec, g: Float32Array, b: Float32Array, d: number, eps: number): Vec => layerNormRef(x, d, g, b, eps);

/** GPT-2's gelu_new: 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))). */
export const geluTanh = (x: Vec): Vec => geluRef(x, 'tanh');

/** Exact GELU, x Phi(x) = 0.5 x (1 + erf(x / sqrt 2)) (GPT-NeoX's "gelu"). */
export const geluErf = (x: Vec): Vec => geluRef(x, 'none');

export const add = (a: Vec, b: Vec): Vec => addRef(a, b);

/** Rotary on the first `dims` of every head of x [n, heads * headDim], position t = row t. 'half' pairs (i, i + dims/2). */
export function rotaryHalf(x: Vec, n: number, heads: number, headDim: number, dims: number, base: number): Vec {
  const y = x.slice();
  for (let t = 0; t < n; t++)
    for (let h = 0; h < heads; h++)
      for (let i = 0; i < dims / 2; i++) {
        const angle = t / base ** ((2 * i) / dims);
        const [a, b] = [(t * heads + h) * headDim + i, (t * heads + h) * headDim + i + dims / 2];
        y[a] = x[a]! * Math.cos(angle) - x[b]! * Math.sin(angle);
        y[b] = x[b]! * Math.cos(angle) + x[a]! * Math.sin(angle);
      }
  return y;
}

/** Causal softmax(q k^T / sqrt(headDim)) v per head; q, k, v [n, heads * headDim]. */
export const causalAttention = (q: Vec, k: Vec, v: Vec, n: number, heads: number, headDim: number): Vec =>
  attentionRefBSHD(q, k, v, null, [1, n, heads, headDim], n);

/** Rows of a [V, D] table. */
export function lookup(table: Float32Array, ids: readonly number[], d: number): Vec {
  const x = new Float64Array(ids.length * d);
  ids.forEach((id, t) => x.set(table.subarray(id * d, (id + 1) * d), t * d));
  return x;
}

/** max |ours - ref| / max |ref|: the error relative to the largest reference value. */
export const maxRelError = (ours: Float32Array, ref: Vec): number => relErr(ours, ref);

export const argmax = (row: ArrayLike<number>): number => {
  let best = 0;
  for (let i = 1; i < row.length; i++) if (row[i]! > row[best]!) best = i;
  return best;
};
