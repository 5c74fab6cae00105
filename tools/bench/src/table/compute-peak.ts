// computePeak of bench_probe.node (native/compute-peak.cpp); probe.ts declares the addon's sgemm.
import { createRequire } from 'node:module';

export interface ComputePeak {
  isa: 'avx512' | 'avx2' | 'scalar';
  fmaGflops: number;
  cvtGelems?: number;
  tileGflops?: number;
}

const require = createRequire(import.meta.url);
const addon = require('../../build/Release/bench_probe.node') as { computePeak(threads: number, reps: number): ComputePeak };

/** The FMA ceiling, f16 conversion rate and f16 tile rate on `threads` threads started together, best of `reps`. */
export function computePeak(threads: number, reps: number): ComputePeak {
  return addon.computePeak(threads, reps);
}
