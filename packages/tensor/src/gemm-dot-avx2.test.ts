// The AVX2 dot-product GEMM (native/cpu/gemm_dot_avx2.cpp), run in a child process with GPTJ_CPU_ISA=avx2 so it
// is covered on an AVX-512 CPU too; f32, f16, bf16 and q8 weights (q4 keeps its GEMV and the packed GEMM). Weights
// under 1 MiB, where linear takes it from 5 to 128 rows (linear.cpp). Shapes: K not a multiple of 8 and past two
// 1024-k chunks, N = 71 (W rows cut in 3 parts of 24, 24 and 23: a tile with a missing row); M = 5, 8, 13, 16 (whole
// 4-row tiles and partial ones) and 64 (x over 256 KiB: the chunk-by-chunk loop order).
// Each product is checked against a naive float64 product over the weights as stored, and each row exactly against
// that row alone (five copies of it: the fewest rows the GEMM takes), so no row depends on the others or on M.
import { describe, expect, it } from 'vitest';

import type * as tensor from './index.js';
import { distModule, runInChild } from './test-support/child-process.js';

type WeightDType = 'f32' | 'f16' | 'bf16' | 'q8';
const ROWS = [5, 8, 13, 16, 64];

/** One message per failed check, [] when all hold. Self-contained: its source runs in the child process. */
function dotGemmFailures(t: typeof tensor, dtype: WeightDType, rowCounts: number[]): string[] {
  const K = 2084,
    N = 71;
  const failures: string[] = [];
  const wave = (n: number, f: number, a: number) => new Float32Array(n).map((_, i) => a * Math.sin(i * f + 0.3));
  const w = t.Tensor.fromArray(wave(N * K, 0.37, 1), [N, K], { dtype });
  const stored = t.cast(w, 'f32').toFloat32Array();
  const bias = t.Tensor.fromArray(wave(N, 1.7, 0.5), [N]);
  const b = bias.toFloat32Array();
  for (const M of rowCounts) {
    const x = wave(M * K, 0.11 + M / 1000, 1);
    const y = t.linear(t.Tensor.fromArray(x, [M, K]), w, bias).toFloat32Array();
    let worst = 0;
    for (let m = 0; m < M; m++) {
      for (let n = 0; n < N; n++) {
        let ref = b[n]!,
          mag = Math.abs(b[n]!);
        for (let k = 0; k < K; k++) {
          ref += x[m * K + k]! * stored[n * K + k]!;
          mag += Math.abs(x[m * K + k]! * stored[n * K + k]!);
        }
        // f32 accumulation over K terms, summed in 8 lanes per chunk
        worst = Math.max(worst, Math.abs(y[m * N + n]! - ref) / ((Math.sqrt(K) + 4) * 2 ** -22 * mag));
      }
      const alone = new Float32Array(5 * K);
      for (let r = 0; r < 5; r++) alone.set(x.subarray(m * K, (m + 1) * K), r * K);
      const single = t.linear(t.Tensor.fromArray(alone, [5, K]), w, bias).toFloat32Array();
      for (let r = 0; r < 5; r++)
        for (let n = 0; n < N; n++)
          if (!Object.is(single[r * N + n], y[m * N + n])) {
            failures.push(`${dtype} M=${M}: y[${m},${n}] = ${y[m * N + n]}, alone (copy ${r}) ${single[r * N + n]}`);
            r = 5;
            n = N;
          }
    }
    if (!(worst <= 1)) failures.push(`${dtype} M=${M}: error ${worst} times the f32 accumulation bound`);
  }
  return failures;
}

describe('AVX2 dot-product GEMM (child process with GPTJ_CPU_ISA=avx2)', () => {
  it.each(['f32', 'f16', 'bf16', 'q8'] as const)(
    '%s weights: naive reference, and every row equal to it alone',
    (dtype) => {
      const script = `const t = await import(${distModule('index.js')});
      process.stdout.write(JSON.stringify((${dotGemmFailures.toString()})(t, ${JSON.stringify(dtype)}, ${JSON.stringify(ROWS)})));`;
      expect(JSON.parse(runInChild(script, { GPTJ_CPU_ISA: 'avx2' }))).toEqual([]);
    },
    60_000,
  );
});
