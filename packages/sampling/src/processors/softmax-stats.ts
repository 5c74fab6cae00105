// Softmax pieces over one row, skipping -Infinity entries (removed tokens) so that rows already cut by top-k cost
// one comparison per removed entry instead of an exp. Accumulation is in float64.

/** Largest value of the row; -Infinity when every entry is -Infinity. */
export function maxOf(scores: Float32Array): number {
  let m = -Infinity;
  for (let i = 0; i < scores.length; i++) {
    const v = scores[i]!;
    if (v > m) m = v;
  }
  return m;
}

/** sum of exp(s - max) over the row (the softmax normaliser relative to the max). */
export function sumExp(scores: Float32Array, max: number): number {
  let z = 0;
  for (let i = 0; i < scores.length; i++) {
    const v = scores[i]!;
    if (v !== -Infinity) z += Math.exp(v - max);
  }
  return z;
}

/** weights[i] = exp(s[i] - max), 0 for -Infinity; returns their sum (sumExp's value, in the same order). */
export function expShifted(scores: Float32Array, max: number, weights: Float64Array): number {
  let z = 0;
  for (let i = 0; i < scores.length; i++) {
    const v = scores[i]!;
    const w = v === -Infinity ? 0 : Math.exp(v - max);
    weights[i] = w;
    z += w;
  }
  return z;
}

/** log(sum(exp(s))) of the row. */
export function logSumExp(scores: Float32Array): number {
  const m = maxOf(scores);
  if (m === -Infinity) return -Infinity;
  return m + Math.log(sumExp(scores, m));
}

/** Grows-on-demand scratch buffers, so processors reuse memory across steps instead of allocating per token. */
export class Scratch {
  private f32 = new Float32Array(0);
  private f64 = [new Float64Array(0), new Float64Array(0)];
  private i32 = new Int32Array(0);
  private u8 = new Uint8Array(0);

  float32(n: number): Float32Array {
    if (this.f32.length < n) this.f32 = new Float32Array(n);
    return this.f32;
  }

  /** Two independent float64 buffers, `slot` 0 or 1. */
  float64(n: number, slot: 0 | 1 = 0): Float64Array {
    if (this.f64[slot]!.length < n) this.f64[slot] = new Float64Array(n);
    return this.f64[slot]!;
  }

  int32(n: number): Int32Array {
    if (this.i32.length < n) this.i32 = new Int32Array(n);
    return this.i32;
  }

  /** Zero-filled flags; callers must clear what they set before returning. */
  flags(n: number): Uint8Array {
    if (this.u8.length < n) this.u8 = new Uint8Array(n);
    return this.u8;
  }
}
