// Test-only (not exported by @gptj/tensor/testing): whether this process's linear runs the AVX-512 kernels, as
// linear_isa.cpp decides (AVX-512 F/BW/VL/DQ present, not capped by $GPTJ_CPU_ISA, not forced to the packed GEMM by
// $GPTJ_GEMM), and whether its q4 GEMV is the VNNI one. Tests of the AVX-512-only paths (the small-K GEMM's packed
// lm_head, skipLogits rows left out, q4 rows on the VNNI GEMV at any count) ask it.
import { existsSync, readFileSync } from 'node:fs';

function cpuFlags(): string[] {
  if (!existsSync('/proc/cpuinfo')) return [];
  return (
    readFileSync('/proc/cpuinfo', 'utf8')
      .match(/^flags\s*:(.*)$/m)?.[1]
      ?.split(' ') ?? []
  );
}

export function avx512Linear(): boolean {
  if (process.env.GPTJ_GEMM === 'packed') return false;
  if (process.env.GPTJ_CPU_ISA && !process.env.GPTJ_CPU_ISA.startsWith('avx512')) return false;
  const flags = cpuFlags();
  return ['avx512f', 'avx512bw', 'avx512vl', 'avx512dq'].every((f) => flags.includes(f));
}

/** avx512Linear() with AVX-512 VNNI, not capped by GPTJ_CPU_ISA=avx512-novnni: q4's GEMV is q4_gemv_avx512vnni.cpp. */
export function avx512VnniLinear(): boolean {
  return avx512Linear() && process.env.GPTJ_CPU_ISA !== 'avx512-novnni' && cpuFlags().includes('avx512_vnni');
}
