// The OpenBLAS peer of native/probe.cpp (built into build/Release/bench_probe.node).
import { createRequire } from 'node:module';

export interface SgemmResult {
  gflops?: number;
  library?: string;
  /** Why OpenBLAS was not measured (not installed, or missing symbols). */
  skipped?: string;
}

export interface BenchProbe {
  /** OpenBLAS cblas_sgemm C[M,N] = A[M,K] @ B[N,K]^T with `threads` threads, best of `reps`. */
  sgemm(M: number, N: number, K: number, threads: number, reps: number): SgemmResult;
}

const require = createRequire(import.meta.url);
export const probe: BenchProbe = require('../build/Release/bench_probe.node');
