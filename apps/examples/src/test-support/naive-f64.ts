// A naive float64 transformer toolkit, written from the papers' and Hugging Face's equations, for the
// bring-your-own-architecture tests: plain loops over Float64Array, one sequence at a time, nothing shared with
// @gptj/layers or @gptj/tensor. Matrices are row-major; a weight is [out, in] as in torch.nn.Linear.

export type Vec = Float64Array;

/** x [n, in] -> x W^T + b [n, out] */
export function linear(x: Vec, w: Float32Array, b: Float32Array | undefined, n: number, inp: number, out: number): Vec {
  const y = new Float64Array(n * out);
  for (let i = 0; i < n; i++)
    for (let o = 0; o < out; o++) {
      let acc = b ? b[o]! : 0;
      for (let k = 0; k < inp; k++) acc += x[i * inp + k]! * w[o * inp + k]!;
      y[i * out + o] = acc;
    }
  return y;
}

export function layerNorm(x: Vec, g: Float32Array, b: Float32Array, d: number, eps: number): Vec {
  const y = new Float64Array(x.length);
  for (let r = 0; r < x.length / d; r++) {
    const row = x.subarray(r * d, (r + 1) * d);
    const mean = row.reduce((a, v) => a + v, 0) / d;
    const variance = row.reduce((a, v) => a + (v - mean) ** 2, 0) / d;
    for (let i = 0; i < d; i++) y[r * d + i] = ((row[i]! - mean) / Math.sqrt(variance + eps)) * g[i]! + b[i]!;
  }
  return y;
}

/** GPT-2's gelu_new: 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))). */
export const geluTanh = (x: Vec): Vec => x.map((v) => 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v ** 3))));

/** Exact GELU, x Phi(x) = 0.5 x (1 + erf(x / sqrt 2)) (GPT-NeoX's "gelu"). */
export const geluErf = (x: Vec): Vec => x.map((v) => 0.5 * v * (1 + erf(v / Math.SQRT2)));

// erf to ~1e-15: its Taylor series near 0; for |x| > 2, 1 - erfc(x) with erfc's continued fraction
// erfc(x) = exp(-x^2) / sqrt(pi) / (x + (1/2) / (x + 1 / (x + (3/2) / (x + ...)))).
function erf(x: number): number {
  const a = Math.abs(x);
  if (a <= 2) {
    let term = a,
      sum = a;
    for (let n = 1; n < 60; n++) {
      term *= (-a * a) / n;
      sum += term / (2 * n + 1);
    }
    return Math.sign(x) * (2 / Math.sqrt(Math.PI)) * sum;
  }
  let frac = a;
  for (let n = 80; n >= 1; n--) frac = a + n / 2 / frac;
  return Math.sign(x) * (1 - Math.exp(-a * a) / Math.sqrt(Math.PI) / frac);
}

export const add = (a: Vec, b: Vec): Vec => a.map((v, i) => v + b[i]!);

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
export function causalAttention(q: Vec, k: Vec, v: Vec, n: number, heads: number, headDim: number): Vec {
  const out = new Float64Array(n * heads * headDim);
  const at = (t: number, h: number, i: number) => (t * heads + h) * headDim + i;
  for (let h = 0; h < heads; h++)
    for (let t = 0; t < n; t++) {
      const scores = Array.from({ length: t + 1 }, (_, j) => {
        let dot = 0;
        for (let i = 0; i < headDim; i++) dot += q[at(t, h, i)]! * k[at(j, h, i)]!;
        return dot / Math.sqrt(headDim);
      });
      const max = Math.max(...scores);
      const w = scores.map((s) => Math.exp(s - max));
      const sum = w.reduce((a, b) => a + b, 0);
      for (let j = 0; j <= t; j++) for (let i = 0; i < headDim; i++) out[at(t, h, i)]! += (w[j]! / sum) * v[at(j, h, i)]!;
    }
  return out;
}

/** Rows of a [V, D] table. */
export function lookup(table: Float32Array, ids: readonly number[], d: number): Vec {
  const x = new Float64Array(ids.length * d);
  ids.forEach((id, t) => x.set(table.subarray(id * d, (id + 1) * d), t * d));
  return x;
}

/** max |ours - ref| / max |ref|: the error relative to the largest reference value. */
export function maxRelError(ours: Float32Array, ref: Vec): number {
  if (ours.length !== ref.length) throw new RangeError(`maxRelError: ${ours.length} values against a reference of ${ref.length}`);
  let err = 0,
    scale = 0;
  for (let i = 0; i < ref.length; i++) {
    err = Math.max(err, Math.abs(ours[i]! - ref[i]!));
    scale = Math.max(scale, Math.abs(ref[i]!));
  }
  return err / scale;
}

export const argmax = (row: ArrayLike<number>): number => {
  let best = 0;
  for (let i = 1; i < row.length; i++) if (row[i]! > row[best]!) best = i;
  return best;
};
