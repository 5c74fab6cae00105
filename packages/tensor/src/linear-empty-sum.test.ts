// linear with K = 0 (an empty sum) must write y = bias, or 0 without one, on every kernel linear can pick:
// the GEMVs (M <= 4), the dot-product GEMMs (M 5..16), the small-K GEMM (M >= 17 on AVX-512), the packed GEMM.
// The public linear() refuses K = 0 (ShapeError, empty.test.ts) and the GPT-J runners refuse zero dims,
// so only the addon's own binding can pass it; it accepts K = 0, so it is tested here, through the binding.
// Before the fix the AVX-512 dot-product GEMM wrote nothing at K = 0 (its k-chunk loop ran no chunk), and y
// kept whatever the buffer held.
import { describe, expect, it } from 'vitest';

import { cpu, type CpuAddon } from './native.js';
import { distModule, runInChild } from './test-support/child-process.js';

/** One message per (dtype, M, bias) whose y is not the bias (or 0). Self-contained: sent to child processes. */
function emptySumFailures(addon: CpuAddon): string[] {
  const codes = { f32: 0, f16: 1, bf16: 2, q8: 3, q4: 5 };
  const N = 70;
  const failures: string[] = [];
  for (const [dtype, code] of Object.entries(codes))
    for (const M of [1, 4, 5, 8, 13, 16, 17, 40])
      for (const withBias of [false, true]) {
        const bias = new Float32Array(N).map((_, i) => i + 1);
        const b = new addon.Storage(4 * N, false);
        b.write(0, bias);
        const y = new addon.Storage(4 * M * N, false);
        y.write(0, new Float32Array(M * N).fill(Number.NaN));
        // x [M, 0] and w [N, 0] hold no values (q8: N row scales; q4: no codes, no group scales)
        addon.linear(new addon.Storage(4, true), new addon.Storage(4 * N + 64, true), code, withBias ? b : null, y, M, 0, N, false);
        const out = new Float32Array(M * N);
        y.read(0, out);
        const bad = out.findIndex((v, i) => v !== (withBias ? bias[i % N] : 0));
        if (bad >= 0) failures.push(`${dtype} M=${M}${withBias ? ' +bias' : ''}: y[${Math.floor(bad / N)},${bad % N}] = ${out[bad]}`);
      }
  return failures;
}

describe('linear with K = 0 writes the bias (or zeros)', () => {
  it('on this CPU', () => {
    expect(emptySumFailures(cpu)).toEqual([]);
  });

  it.each([
    ['avx2', { GPTJ_CPU_ISA: 'avx2' }],
    ['scalar', { GPTJ_CPU_ISA: 'scalar' }],
    ['packed GEMM', { GPTJ_GEMM: 'packed' }],
  ])('%s (child process)', (_, env) => {
    const script = `const { cpu } = await import(${distModule('native.js')});
      process.stdout.write(JSON.stringify((${emptySumFailures.toString()})(cpu)));`;
    expect(JSON.parse(runInChild(script, env))).toEqual([]);
  });
});
