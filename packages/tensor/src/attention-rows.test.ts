// The row attention (decode and prefills under 16 tokens) against the float64 reference, at the sizes where its
// row kernels change path: head dims that are and are not a multiple of 16 (AVX-512 takes 16 key rows per
// reduction, 128 output dims per pass over the values), key counts around those 16-row groups, and masks
// that split the keys into several runs. The AVX2 and scalar row kernels run the same cases in child processes
// (GPTJ_CPU_ISA), so they are covered on a CPU that has AVX-512 too.
import { describe, expect, it } from 'vitest';
import * as tensor from './index.js';
import * as reference from './test-support/reference.js';
import { distModule, runInChild } from './test-support/child-process.js';

interface Modules {
  t: typeof tensor;
  ts: typeof reference;
}

const DIMS = [8, 16, 24, 32, 48, 144, 256];
const LENGTHS = [1, 2, 15, 16, 17, 31, 32, 33, 67];

/** Each case that misses the reference, with closeTo's message; none when all pass. */
function attentionFailures({ t, ts }: Modules, dims: number[], lengths: number[]): string[] {
  const failures: string[] = [];
  for (const D of dims)
    for (const masked of [false, true])
      for (const L of lengths)
        for (const T of [1, 3].filter((n) => n <= L)) {
          const [B, H, Tmax] = [2, 2, L + 1];
          const q = ts.randArray(B * T * H * D, L * 7 + D),
            k = ts.randArray(B * H * Tmax * D, L * 7 + D + 1),
            v = ts.randArray(B * H * Tmax * D, L * 7 + D + 2);
          // row 1 masks key 0 and every 5th key (never its last): runs of 4 keys at most, across the 16-row groups
          const mask = masked ? new Int32Array(B * L).map((_, i) => (i >= L && (i - L) % 5 === 0 && i < 2 * L - 1 ? 0 : 1)) : null;
          const f = (a: Float32Array, shape: number[]) => t.Tensor.fromArray(a, shape);
          const out = t.attention(f(q, [B, T, H, D]), f(k, [B, H, Tmax, D]), f(v, [B, H, Tmax, D]), {
            kvLength: L,
            mask: mask ? t.Tensor.fromArray(mask, [B, L]) : undefined,
          });
          const err = ts.closeTo(out.toFloat32Array(), ts.attentionRef(q, k, v, [B, T, H, D], Tmax, L, mask, 1 / Math.sqrt(D)), 1e-5, 1e-5);
          if (err) failures.push(`D ${D} L ${L} T ${T}${masked ? ' masked' : ''}: ${err}`);
        }
  return failures;
}

describe('row attention over runs of keys', () => {
  for (const D of DIMS)
    it(`D ${D}, kvLength ${LENGTHS.join('/')}, T 1 and 3, with and without keys masked in several runs`, () => {
      expect(attentionFailures({ t: tensor, ts: reference }, [D], LENGTHS)).toEqual([]);
    });

  for (const isa of ['avx2', 'scalar'])
    it(`${isa} row kernels (child process): the same cases`, () => {
      const script = `const m = { t: await import(${distModule('index.js')}), ts: await import(${distModule('test-support/reference.js')}) };
        const run = ${attentionFailures.toString()};
        process.stdout.write(JSON.stringify(run(m, ${JSON.stringify(DIMS)}, ${JSON.stringify(LENGTHS)})));`;
      expect(JSON.parse(runInChild(script, { GPTJ_CPU_ISA: isa }))).toEqual([]);
    }, 60_000);
});
