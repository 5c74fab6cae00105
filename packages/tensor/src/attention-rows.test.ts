// The row attention (decode and prefills under 16 tokens) against the float64 reference, at the sizes where its
// row kernels change path: head dims that are and are not a multiple of 16 (AVX-512 takes 16 key rows per
// reduction, 128 output dims per pass over the values), key counts around those 16-row groups, and masks
// that split the keys into several runs.
import { describe, expect, it } from 'vitest';
import { Tensor, attention } from './index.js';
import { attentionRef, closeTo, randArray } from './test-support/reference.js';

const t = (a: Float32Array, shape: number[]) => Tensor.fromArray(a, shape);

describe('row attention over runs of keys', () => {
  const dims = [8, 16, 24, 32, 48, 144, 256];
  const lengths = [1, 2, 15, 16, 17, 31, 32, 33, 67];
  for (const D of dims)
    for (const masked of [false, true])
      it(`D ${D}, kvLength ${lengths.join('/')}, T 1 and 3${masked ? ', keys masked in several runs' : ''}`, () => {
        for (const L of lengths)
          for (const T of [1, 3].filter((n) => n <= L)) {
            const [B, H, Tmax] = [2, 2, L + 1];
            const q = randArray(B * T * H * D, L * 7 + D),
              k = randArray(B * H * Tmax * D, L * 7 + D + 1),
              v = randArray(B * H * Tmax * D, L * 7 + D + 2);
            // row 1 masks key 0 and every 5th key: runs of 4 keys at most, across the 16-row groups
            const mask = masked ? new Int32Array(B * L).map((_, i) => (i >= L && (i - L) % 5 === 0 && i < 2 * L - 1 ? 0 : 1)) : null;
            const out = attention(t(q, [B, T, H, D]), t(k, [B, H, Tmax, D]), t(v, [B, H, Tmax, D]), {
              kvLength: L,
              mask: mask ? Tensor.fromArray(mask, [B, L]) : undefined,
            });
            const err = closeTo(out.toFloat32Array(), attentionRef(q, k, v, [B, T, H, D], Tmax, L, mask, 1 / Math.sqrt(D)), 1e-5, 1e-5);
            expect(err, `D ${D} L ${L} T ${T}`).toBeNull();
          }
      });
});
