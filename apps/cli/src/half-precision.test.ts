import { describe, expect, it } from 'vitest';
import { bf16Bits, f16Bits } from './half-precision.js';

describe('half-precision encoding', () => {
  it('encodes IEEE binary16 reference values', () => {
    // values from the IEEE 754 binary16 tables
    const cases: [number, number][] = [
      [0, 0x0000], [-0, 0x8000], [1, 0x3c00], [-2, 0xc000], [65504, 0x7bff], [0.333251953125, 0x3555],
      [6.103515625e-5, 0x0400], // smallest normal
      [5.960464477539063e-8, 0x0001], // smallest subnormal
      [2.9802322387695312e-8, 0x0000], // exactly half of it: ties to even (0)
      [8.940696716308594e-8, 0x0002], // 1.5 subnormal units: ties to even (2)
      [65520, 0x7c00], // rounds past the largest finite value
      [Infinity, 0x7c00], [-Infinity, 0xfc00],
      [1 + 2 ** -11, 0x3c00], // halfway between 1 and the next f16: ties to even
      [1 + 3 * 2 ** -11, 0x3c02],
    ];
    for (const [x, bits] of cases) expect(f16Bits(x), String(x)).toBe(bits);
    expect(f16Bits(NaN) & 0x7c00).toBe(0x7c00);
    expect(f16Bits(NaN) & 0x3ff).not.toBe(0);
  });

  it('encodes bfloat16 with round to nearest even', () => {
    expect(bf16Bits(1)).toBe(0x3f80);
    expect(bf16Bits(-2)).toBe(0xc000);
    expect(bf16Bits(1 + 2 ** -8)).toBe(0x3f80); // tie, even stays
    expect(bf16Bits(1 + 3 * 2 ** -8)).toBe(0x3f82); // tie, odd rounds up
    expect(bf16Bits(3.4028234663852886e38)).toBe(0x7f80); // max f32 rounds to inf
    expect(bf16Bits(NaN) & 0x7fc0).toBe(0x7fc0);
  });
});
