// Small-M GEMM (issue 16): linear over M rows of x (5-32: batched decode through the sequence pool, one step
// of a 32-client server) against the same rows as 4-row GEMVs, and against the read floor (the weight
// bytes over the best read bandwidth of this run): alternated within each rep, medians reported.
import { Tensor, linear, slice } from '@gptj/tensor';

import { median } from './median.js';
import { randomArray } from './random.js';

export type MatrixDType = 'f16' | 'q8' | 'q4';
export interface SmallMCase {
  dtype: MatrixDType;
  M: number;
  K: number;
  N: number;
  /** What the shape is in a model. */
  role: string;
}
export interface SmallMFigures extends SmallMCase {
  weight_bytes: number;
  gemm_ms: number;
  gemv_rows_ms: number;
}

/** Bytes of an [N, K] weight matrix as stored: q8 adds an f32 scale per row, q4 is 18 bytes per 32 weights. */
export function matrixBytes(dtype: MatrixDType, N: number, K: number): number {
  return dtype === 'f16' ? 2 * N * K : dtype === 'q8' ? N * K + 4 * N : (N * K * 18) / 32;
}

const seconds = (f: () => void) => {
  const t0 = process.hrtime.bigint();
  f();
  return Number(process.hrtime.bigint() - t0) / 1e9;
};

export function measureSmallM(c: SmallMCase, reps: number): SmallMFigures {
  const { M, K, N } = c;
  const w = Tensor.fromArray(randomArray(N * K, 2, 0.05), [N, K], { dtype: c.dtype });
  const x = Tensor.fromArray(randomArray(M * K, 1), [M, K]);
  const groups = Array.from({ length: Math.ceil(M / 4) }, (_, g) => slice(x, 0, 4 * g, Math.min(M, 4 * g + 4)));
  const gemm: number[] = [],
    rows: number[] = [];
  try {
    for (let r = 0; r <= reps; r++) {
      const a = seconds(() => linear(x, w).dispose());
      const b = seconds(() => {
        for (const g of groups) linear(g, w).dispose();
      });
      if (r === 0) continue; // warm-up: first touch of the output buffers, pool wake-up
      gemm.push(a);
      rows.push(b);
    }
  } finally {
    for (const t of [w, x, ...groups]) t.dispose();
  }
  return { ...c, weight_bytes: matrixBytes(c.dtype, N, K), gemm_ms: median(gemm) * 1e3, gemv_rows_ms: median(rows) * 1e3 };
}
