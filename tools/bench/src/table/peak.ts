// The compute ceiling prefill is held to (issue 16): the FMA loops of bench_probe.node on the kernel threads,
// and @gptj/tensor's own GEMM on a cache-resident, compute-bound shape.
import { Tensor, linear } from '@gptj/tensor';

import { computePeak } from './compute-peak.js';
import { randomArray } from './random.js';

export interface PeakFigures {
  isa: string;
  /** f32 FMA ceiling: register-resident FMA chains on every kernel thread, per-thread CPU time, GFLOP/s. */
  fma_gflops: number;
  /** f16 -> f32 conversions per second of the best ISA path (vcvtph2ps from L1), G elements/s; absent below AVX2. */
  cvt_gelems?: number;
  /** The f16 dot-product tile's inner step (4 converted W vectors, 6 x vectors, 24 FMAs) in registers, GFLOP/s. */
  tile_gflops?: number;
  /** linear(x[120, 512], W[1024, 512] f16): the GEMM with W in L2 (512 KiB a thread), GFLOP/s over samples of
   * 100 calls: the best sample by the wall clock, and the median sample by the process's CPU time (per
   * CPU-second, times threads; the median because CPU time is counted in scheduler ticks, and the best of
   * several short samples would pick one that missed a tick). */
  gemm_cached_gflops: number;
  gemm_cached_cpu_gflops: number;
}

const CACHED = { M: 120, K: 512, N: 1024 };

const CALLS = 100;

export function measurePeak(threads: number, reps: number): PeakFigures {
  const p = computePeak(threads, reps);
  const { M, K, N } = CACHED;
  const x = Tensor.fromArray(randomArray(M * K, 3), [M, K]);
  const w = Tensor.fromArray(randomArray(N * K, 4), [N, K], { dtype: 'f16' });
  let wall = Infinity;
  const cpu: number[] = [];
  try {
    for (let r = 0; r <= 2 * reps; r++) {
      const c0 = process.cpuUsage(),
        t0 = process.hrtime.bigint();
      for (let i = 0; i < CALLS; i++) linear(x, w).dispose();
      const t = Number(process.hrtime.bigint() - t0) / 1e9,
        c = process.cpuUsage(c0);
      if (r === 0) continue; // warm-up
      wall = Math.min(wall, t);
      cpu.push((c.user + c.system) / 1e6);
    }
  } finally {
    x.dispose();
    w.dispose();
  }
  return {
    isa: p.isa,
    fma_gflops: p.fmaGflops,
    ...(p.cvtGelems !== undefined && { cvt_gelems: p.cvtGelems }),
    ...(p.tileGflops !== undefined && { tile_gflops: p.tileGflops }),
    gemm_cached_gflops: (CALLS * 2 * M * N * K) / wall / 1e9,
    gemm_cached_cpu_gflops: ((CALLS * 2 * M * N * K) / (cpu.sort((a, b) => a - b)[cpu.length >> 1] ?? NaN) / 1e9) * threads,
  };
}
