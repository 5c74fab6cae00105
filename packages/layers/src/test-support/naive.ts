// Naive reference implementations (plain loops over Float32Array, f64 accumulation) that the layer tests
// compare against. Shapes are given explicitly; everything is row-major.

export function rand(n: number, seed: number, scale = 1): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s ^= s << 13; s ^= s >>> 17; s ^= s << 5;
    out[i] = (((s >>> 0) / 2 ** 32) * 2 - 1) * scale;
  }
  return out;
}

/** x [M, K] @ w[N, K]^T + b -> [M, N] */
export function linear(x: Float32Array, w: Float32Array, b: Float32Array | null, m: number, k: number, n: number): Float32Array {
  const y = new Float32Array(m * n);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) {
    let acc = b ? b[j] : 0;
    for (let p = 0; p < k; p++) acc += x[i * k + p] * w[j * k + p];
    y[i * n + j] = acc;
  }
  return y;
}

export function layerNorm(x: Float32Array, g: Float32Array, b: Float32Array, d: number, eps: number): Float32Array {
  const y = new Float32Array(x.length);
  for (let r = 0; r < x.length / d; r++) {
    let mean = 0;
    for (let i = 0; i < d; i++) mean += x[r * d + i];
    mean /= d;
    let v = 0;
    for (let i = 0; i < d; i++) v += (x[r * d + i] - mean) ** 2;
    const inv = 1 / Math.sqrt(v / d + eps);
    for (let i = 0; i < d; i++) y[r * d + i] = (x[r * d + i] - mean) * inv * g[i] + b[i];
  }
  return y;
}

export function gelu(x: Float32Array, approx: 'tanh' | 'none'): Float32Array {
  return x.map((v) => approx === 'tanh'
    ? 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v ** 3)))
    : 0.5 * v * (1 + erf(v / Math.SQRT2)));
}

// Abramowitz-Stegun 7.1.26 is too coarse; use a series/continued-fraction-free high-precision form.
function erf(x: number): number {
  const t = Math.abs(x);
  if (t < 3) { // Maclaurin series, converges fast for |x| < 3
    let sum = 0; let term = t; let n = 0;
    while (Math.abs(term) > 1e-17 * Math.abs(sum) || n < 5) {
      sum += term / (2 * n + 1);
      n++;
      term *= -t * t / n;
      if (n > 200) break;
    }
    return Math.sign(x) * (2 / Math.sqrt(Math.PI)) * sum;
  }
  return Math.sign(x) * (1 - Math.exp(-t * t) / (t * Math.sqrt(Math.PI)) * (1 - 1 / (2 * t * t)));
}

/** Rotary on x [B, T, H, D] with positions [B, T]; sin/cos in f32 as transformers computes them. */
export function rotary(x: Float32Array, pos: Int32Array, [b, t, h, d]: number[], r: number, style: 'interleaved' | 'half', base = 10000): Float32Array {
  const y = x.slice();
  const f = Math.fround;
  for (let bi = 0; bi < b; bi++) for (let ti = 0; ti < t; ti++) {
    const p = pos[bi * t + ti];
    for (let hi = 0; hi < h; hi++) {
      const o = ((bi * t + ti) * h + hi) * d;
      for (let i = 0; i < r / 2; i++) {
        const invFreq = f(1 / f(base ** f((2 * i) / r)));
        const angle = f(p * invFreq);
        const c = f(Math.cos(angle)); const s = f(Math.sin(angle));
        const [a0, a1] = style === 'interleaved' ? [o + 2 * i, o + 2 * i + 1] : [o + i, o + i + r / 2];
        y[a0] = x[a0] * c - x[a1] * s;
        y[a1] = x[a1] * c + x[a0] * s;
      }
    }
  }
  return y;
}

/**
 * Causal attention. q [B, T, H, D]; k, v [B, S, H, D] hold all S = offset + T positions; mask [B, S].
 * Query t (absolute position offset + t) sees keys j <= offset + t with mask 1. Returns [B, T, H, D].
 */
export function attention(q: Float32Array, k: Float32Array, v: Float32Array, mask: Int32Array | null,
                          [b, t, h, d]: number[], s: number, scale = 1 / Math.sqrt(d)): Float32Array {
  const out = new Float32Array(b * t * h * d);
  const offset = s - t;
  for (let bi = 0; bi < b; bi++) for (let hi = 0; hi < h; hi++) for (let ti = 0; ti < t; ti++) {
    const scores: number[] = [];
    for (let j = 0; j <= offset + ti; j++) {
      if (mask && !mask[bi * s + j]) continue;
      let dot = 0;
      for (let i = 0; i < d; i++) dot += q[((bi * t + ti) * h + hi) * d + i] * k[((bi * s + j) * h + hi) * d + i];
      scores.push(j, dot * scale);
    }
    if (!scores.length) continue;
    let max = -Infinity;
    for (let i = 1; i < scores.length; i += 2) max = Math.max(max, scores[i]);
    let sum = 0;
    for (let i = 1; i < scores.length; i += 2) sum += (scores[i] = Math.exp(scores[i] - max));
    for (let i = 0; i < scores.length; i += 2) {
      const j = scores[i]; const p = scores[i + 1] / sum;
      for (let e = 0; e < d; e++) out[((bi * t + ti) * h + hi) * d + e] += p * v[((bi * s + j) * h + hi) * d + e];
    }
  }
  return out;
}

export function add(a: Float32Array, b: Float32Array): Float32Array {
  return a.map((v, i) => v + b[i]);
}

/** max |a - b| / max |b|: the error measure the tests bound. */
export function relErr(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let err = 0; let ref = 0;
  for (let i = 0; i < a.length; i++) { err = Math.max(err, Math.abs(a[i] - b[i])); ref = Math.max(ref, Math.abs(b[i])); }
  return err / ref;
}
