// Naive float64 reference implementations and helpers for the tests of every package (@gptj/tensor/testing).
// Written from the op definitions (PyTorch / HF formulas), independently of the C++ kernels. Plain loops over
// row-major arrays; inputs may be any ArrayLike, so references chain in float64.

/** Deterministic uniform floats in [lo, hi) (mulberry32). */
export function rng(seed: number): (lo?: number, hi?: number) => number {
  let a = seed >>> 0;
  return (lo = -1, hi = 1) => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    const u = ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    return lo + (hi - lo) * u;
  };
}

export function randArray(n: number, seed: number, lo = -2, hi = 2): Float32Array {
  const r = rng(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = r(lo, hi);
  return out;
}

export const prod = (s: readonly number[]): number => s.reduce((a, b) => a * b, 1);

function roundHalfEven(q: number): number {
  const f = Math.floor(q);
  const d = q - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

/**
 * Rounds x to a binary format with `p` significant bits, smallest normal exponent `emin` and
 * largest finite value `max` (round to nearest even; overflow to +-Infinity).
 */
function roundToFormat(x: number, p: number, emin: number, max: number): number {
  if (!Number.isFinite(x) || x === 0) return x;
  const ax = Math.abs(x);
  let e = Math.floor(Math.log2(ax));
  while (2 ** e > ax) e--;
  while (2 ** (e + 1) <= ax) e++;
  e = Math.max(e, emin);
  const ulp = 2 ** (e - p + 1);
  const r = roundHalfEven(ax / ulp) * ulp;
  const lim = max + ulp / 2; // values at or past the halfway point above max overflow
  if (r > max || ax >= lim) return x < 0 ? -Infinity : Infinity;
  return x < 0 ? -r : r;
}

export const roundF16 = (x: number): number => roundToFormat(x, 11, -14, 65504);
export const roundBF16 = (x: number): number => roundToFormat(x, 8, -126, (2 - 2 ** -7) * 2 ** 127);

/** Value of the f16 bit pattern h. */
export function f16Value(h: number): number {
  const s = h & 0x8000 ? -1 : 1,
    e = (h >> 10) & 0x1f,
    m = h & 0x3ff;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 31) return m ? NaN : s * Infinity;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}

/**
 * erf to double precision: the Maclaurin series below 3 (converges fast there), the asymptotic expansion above
 * (where 1 - erf is under 2e-5). Abramowitz-Stegun 7.1.26 (|error| 1.5e-7) is too coarse to judge f32 kernels.
 */
export function erf(x: number): number {
  const t = Math.abs(x);
  if (t < 3) {
    let sum = 0,
      term = t,
      n = 0;
    while (Math.abs(term) > 1e-17 * Math.abs(sum) || n < 5) {
      sum += term / (2 * n + 1);
      n++;
      term *= (-t * t) / n;
      if (n > 200) break;
    }
    return Math.sign(x) * (2 / Math.sqrt(Math.PI)) * sum;
  }
  return Math.sign(x) * (1 - (Math.exp(-t * t) / (t * Math.sqrt(Math.PI))) * (1 - 1 / (2 * t * t)));
}

/** gelu: 'tanh' is gelu_new (GPT-J's), 'none' the exact erf form (float64). */
export function geluRef(x: ArrayLike<number>, approx: 'tanh' | 'none'): Float64Array {
  return Float64Array.from(x, (v) =>
    approx === 'tanh' ? 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v ** 3))) : 0.5 * v * (1 + erf(v / Math.SQRT2)),
  );
}

/** a + b elementwise, same shapes (float64). */
export function addRef(a: ArrayLike<number>, b: ArrayLike<number>): Float64Array {
  return Float64Array.from(a, (v, i) => v + b[i]);
}

/** [B, S, H, D] -> [B, H, S, D], the KV-cache layout attentionRef reads keys and values in. */
export function headsFirst(x: ArrayLike<number>, [B, S, H, D]: readonly number[]): Float64Array {
  const out = new Float64Array(B * S * H * D);
  for (let b = 0; b < B; b++)
    for (let s = 0; s < S; s++) for (let h = 0; h < H; h++) for (let d = 0; d < D; d++) out[((b * H + h) * S + s) * D + d] = x[((b * S + s) * H + h) * D + d];
  return out;
}

/** Row-major strides. */
export function strides(shape: readonly number[]): number[] {
  const s: number[] = [];
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i];
  }
  return s;
}

/** Index -> multi-index of a row-major shape. */
export function unravel(i: number, shape: readonly number[]): number[] {
  const idx = new Array<number>(shape.length);
  for (let d = shape.length - 1; d >= 0; d--) {
    idx[d] = i % shape[d];
    i = Math.floor(i / shape[d]);
  }
  return idx;
}

/** numpy broadcasting of a binary op. */
export function broadcastRef(
  a: ArrayLike<number>,
  as: readonly number[],
  b: ArrayLike<number>,
  bs: readonly number[],
  f: (x: number, y: number) => number,
): { data: Float64Array; shape: number[] } {
  const nd = Math.max(as.length, bs.length);
  const pa = [...Array(nd - as.length).fill(1), ...as],
    pb = [...Array(nd - bs.length).fill(1), ...bs];
  const shape = pa.map((d, i) => Math.max(d, pb[i]));
  const sa = strides(pa),
    sb = strides(pb);
  const out = new Float64Array(prod(shape));
  for (let i = 0; i < out.length; i++) {
    const idx = unravel(i, shape);
    let ia = 0,
      ib = 0;
    for (let d = 0; d < nd; d++) {
      ia += (pa[d] === 1 ? 0 : idx[d]) * sa[d];
      ib += (pb[d] === 1 ? 0 : idx[d]) * sb[d];
    }
    out[i] = f(a[ia], b[ib]);
  }
  return { data: out, shape };
}

/** y[m, n] = sum_k x[m, k] w[n, k] + b[n] (float64). */
export function linearRef(x: ArrayLike<number>, M: number, K: number, w: ArrayLike<number>, N: number, b?: ArrayLike<number> | null): Float64Array {
  const y = new Float64Array(M * N);
  for (let m = 0; m < M; m++)
    for (let n = 0; n < N; n++) {
      let s = b ? b[n] : 0;
      for (let k = 0; k < K; k++) s += x[m * K + k] * w[n * K + k];
      y[m * N + n] = s;
    }
  return y;
}

export function layerNormRef(x: ArrayLike<number>, D: number, g: ArrayLike<number>, b: ArrayLike<number>, eps: number): Float64Array {
  const out = new Float64Array(x.length);
  for (let r = 0; r < x.length / D; r++) {
    let mean = 0;
    for (let i = 0; i < D; i++) mean += x[r * D + i];
    mean /= D;
    let v = 0;
    for (let i = 0; i < D; i++) v += (x[r * D + i] - mean) ** 2;
    v /= D;
    for (let i = 0; i < D; i++) out[r * D + i] = ((x[r * D + i] - mean) / Math.sqrt(v + eps)) * g[i] + b[i];
  }
  return out;
}

export function softmaxRef(x: ArrayLike<number>, V: number): Float64Array {
  const out = new Float64Array(x.length);
  for (let r = 0; r < x.length / V; r++) {
    let mx = -Infinity;
    for (let i = 0; i < V; i++) mx = Math.max(mx, x[r * V + i]);
    let s = 0;
    for (let i = 0; i < V; i++) s += Math.exp(x[r * V + i] - mx);
    for (let i = 0; i < V; i++) out[r * V + i] = Math.exp(x[r * V + i] - mx) / s;
  }
  return out;
}

/**
 * GPT-J / NeoX rotary as HF computes it: inv_freq = 1 / base^(arange(0, rd, 2) / rd) and the
 * angles in float32 (Math.fround at each torch step), sin/cos of the float32 angle.
 */
export function rotaryRef(
  x: ArrayLike<number>,
  pos: ArrayLike<number>,
  [B, T, H, D]: number[],
  rd: number,
  style: 'interleaved' | 'half',
  base = 10000,
): Float64Array {
  const f = Math.fround;
  const half = rd / 2;
  const inv = Array.from({ length: half }, (_, i) => f(1 / f(f(base) ** f((2 * i) / rd))));
  const out = new Float64Array(x.length);
  for (let bt = 0; bt < B * T; bt++) {
    const p = f(pos[bt]);
    const sin = inv.map((v) => f(Math.sin(f(p * v))));
    const cos = inv.map((v) => f(Math.cos(f(p * v))));
    for (let h = 0; h < H; h++) {
      const o = (bt * H + h) * D;
      for (let d = 0; d < D; d++) out[o + d] = x[o + d];
      for (let i = 0; i < half; i++) {
        const [j0, j1] = style === 'interleaved' ? [2 * i, 2 * i + 1] : [i, i + half];
        out[o + j0] = x[o + j0] * cos[i] - x[o + j1] * sin[i];
        out[o + j1] = x[o + j1] * cos[i] + x[o + j0] * sin[i];
      }
    }
  }
  return out;
}

/**
 * Causal attention as HF's eager attention (float64 here): q [B, T, H, D] are the last T of L positions; k, v
 * [B, H, Tmax, D] (the KV cache; headsFirst turns [B, L, H, D] projections into it with Tmax = L); mask [B, L] or
 * null. Query t sees keys j <= L - T + t whose mask is 1; a query that sees none gives zeros.
 */
export function attentionRef(
  q: ArrayLike<number>,
  k: ArrayLike<number>,
  v: ArrayLike<number>,
  [B, T, H, D]: number[],
  Tmax: number,
  L: number,
  mask: ArrayLike<number> | null,
  scale: number,
): Float64Array {
  const out = new Float64Array(B * T * H * D);
  for (let b = 0; b < B; b++)
    for (let h = 0; h < H; h++)
      for (let t = 0; t < T; t++) {
        const scores: number[] = [];
        const keep: boolean[] = [];
        for (let j = 0; j < L; j++) {
          keep[j] = j <= L - T + t && mask?.[b * L + j] !== 0;
          let s = 0;
          for (let d = 0; d < D; d++) s += q[((b * T + t) * H + h) * D + d] * k[((b * H + h) * Tmax + j) * D + d];
          scores[j] = s * scale;
        }
        const mx = Math.max(...scores.filter((_, j) => keep[j]));
        let sum = 0;
        const p = scores.map((s, j) => (keep[j] ? Math.exp(s - mx) : 0));
        for (const x of p) sum += x;
        for (let d = 0; d < D; d++) {
          let acc = 0;
          for (let j = 0; j < L; j++) if (keep[j]) acc += p[j] * v[((b * H + h) * Tmax + j) * D + d];
          out[((b * T + t) * H + h) * D + d] = sum > 0 ? acc / sum : 0;
        }
      }
  return out;
}

/** attentionRef over keys and values laid out like the queries ([B, S, H, D], all S positions), scale 1 / sqrt(D). */
export function attentionRefBSHD(
  q: ArrayLike<number>,
  k: ArrayLike<number>,
  v: ArrayLike<number>,
  mask: ArrayLike<number> | null,
  [B, T, H, D]: number[],
  S: number,
): Float64Array {
  return attentionRef(q, headsFirst(k, [B, S, H, D]), headsFirst(v, [B, S, H, D]), [B, T, H, D], S, S, mask, 1 / Math.sqrt(D));
}

/** max |a - b| / (atol + rtol |b|) <= 1, with a helpful message. */
export function closeTo(actual: ArrayLike<number>, expected: ArrayLike<number>, atol: number, rtol = 0): string | null {
  if (actual.length !== expected.length) return `length ${actual.length} != ${expected.length}`;
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i],
      e = expected[i];
    if (Number.isNaN(e) && Number.isNaN(a)) continue;
    if (a === e) continue;
    if (!(Math.abs(a - e) <= atol + rtol * Math.abs(e))) return `at ${i}: got ${a}, expected ${e}`;
  }
  return null;
}

/**
 * max |a - b| / max |b| over the indices `include` keeps (max |a - b| when b is all zeros): the error measure the
 * tests bound (a float32 implementation lands near 1e-6 of a float64 reference, f16/bf16 paths near 1e-3). NaN
 * where b has NaN is a match; NaN anywhere else is Infinity.
 */
export function relErr(a: ArrayLike<number>, b: ArrayLike<number>, include: (i: number) => boolean = () => true): number {
  if (a.length !== b.length) throw new RangeError(`relErr: length ${a.length} vs ${b.length}`);
  let err = 0,
    ref = 0;
  for (let i = 0; i < a.length; i++) {
    if (!include(i)) continue;
    if (Number.isNaN(a[i]) || Number.isNaN(b[i])) {
      if (Number.isNaN(a[i]) !== Number.isNaN(b[i])) return Infinity;
      continue;
    }
    err = Math.max(err, Math.abs(a[i] - b[i]));
    ref = Math.max(ref, Math.abs(b[i]));
  }
  return ref === 0 ? err : err / ref;
}
