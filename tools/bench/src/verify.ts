// Checks sampled outputs of linear against a naive double-precision reference before any timing,
// so a fast but wrong kernel never reports a figure.

export class BenchVerifyError extends Error {
  override name = 'BenchVerifyError';
}

/**
 * x: [M, K] f32, w: [N, K] weights as the kernel sees them (dequantized), y: [M, N] from linear.
 * Compares `samples` (m, n) pairs spread over the output, with an error bound relative to
 * sum_k |x[m,k] * w[n,k]| (f32 accumulation over K terms). With `xRounding` (q4 weights: the VNNI GEMV
 * rounds x to int8 in groups of 32, @gptj/tensor README) the bound adds sum_k |w[n,k]| * dx_g / 2,
 * dx_g = max |x| of k's group / 127.
 */
export function verifyLinear(
  label: string,
  x: Float32Array,
  w: Float32Array,
  y: Float32Array,
  M: number,
  K: number,
  N: number,
  xRounding = false,
  samples = 64,
): void {
  for (let s = 0; s < samples; s++) {
    const m = Math.floor((((s * 7919) % samples) * M) / samples);
    const n = Math.floor((s * 104729) % N);
    let ref = 0,
      mag = 0,
      rounding = 0;
    for (let k = 0; k < K; k++) {
      const p = x[m * K + k]! * w[n * K + k]!;
      ref += p;
      mag += Math.abs(p);
      if (xRounding && k % 32 === 0) {
        const dx = Math.max(...x.subarray(m * K + k, m * K + k + 32).map(Math.abs)) / 127;
        for (let j = k; j < k + 32; j++) rounding += (Math.abs(w[n * K + j]!) * dx) / 2;
      }
    }
    const got = y[m * N + n]!;
    if (!(Math.abs(got - ref) <= 1e-5 * (mag + rounding) + rounding * (1 + 2 ** -20) + 1e-30)) {
      throw new BenchVerifyError(`${label}: y[${m}, ${n}] = ${got}, naive reference ${ref} (|x*w| sum ${mag})`);
    }
  }
}
