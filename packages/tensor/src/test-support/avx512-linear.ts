// Test-only (not exported by @gptj/tensor/testing): whether this process's linear runs the AVX-512 kernels, as
// linear_isa.cpp decides (AVX-512 F/BW/VL/DQ present, not capped by $GPTJ_CPU_ISA, not forced to the packed GEMM by
// $GPTJ_GEMM). Tests of the AVX-512-only paths (the small-K GEMM's packed lm_head, skipLogits rows left out) ask it.
import { existsSync, readFileSync } from 'node:fs';

export function avx512Linear(): boolean {
  if (!existsSync('/proc/cpuinfo') || process.env.GPTJ_GEMM === 'packed') return false;
  if (process.env.GPTJ_CPU_ISA && !process.env.GPTJ_CPU_ISA.startsWith('avx512')) return false;
  const flags =
    readFileSync('/proc/cpuinfo', 'utf8')
      .match(/^flags\s*:(.*)$/m)?.[1]
      ?.split(' ') ?? [];
  return ['avx512f', 'avx512bw', 'avx512vl', 'avx512dq'].every((f) => flags.includes(f));
}
