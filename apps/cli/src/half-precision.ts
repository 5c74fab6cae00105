// float32 -> float16 / bfloat16 encoding, round to nearest even, for `gptj convert`. The tensor core converts
// inside native memory but hands out only float32 copies, so the bytes written to a safetensors file are encoded
// here; the tests check them against the tensor core's own cast.

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** IEEE binary16 bits of x: overflow -> inf, underflow -> signed zero, subnormals kept, NaN stays NaN. */
export function f16Bits(x: number): number {
  f32[0] = x;
  const b = u32[0];
  const sign = (b >>> 16) & 0x8000;
  const exp = (b >>> 23) & 0xff;
  let mant = b & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant !== 0 ? 0x200 | (mant >>> 13) : 0);
  const e = exp - 127 + 15; // rebiased exponent
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign; // below half the smallest subnormal
    mant |= 0x800000; // implicit leading one; value = mant * 2^(exp - 150), subnormal unit 2^-24
    const shift = 14 - e;
    let half = mant >>> shift;
    const rem = mant & ((1 << shift) - 1);
    const halfway = 1 << (shift - 1);
    if (rem > halfway || (rem === halfway && (half & 1) === 1)) half++;
    return sign | half;
  }
  let half = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && (half & 1) === 1)) half++; // a carry into the exponent is still right
  return sign | half;
}

/** bfloat16 bits of x (the top half of its float32 bits, rounded to nearest even); NaN stays NaN. */
export function bf16Bits(x: number): number {
  f32[0] = x;
  const b = u32[0];
  if ((b & 0x7f800000) === 0x7f800000 && (b & 0x7fffff) !== 0) return (b >>> 16) | 0x40;
  return ((b + 0x7fff + ((b >>> 16) & 1)) >>> 16) & 0xffff;
}

/** Little-endian f16 or bf16 bytes of `values`. */
export function encodeHalf(values: Float32Array, dtype: 'f16' | 'bf16'): Uint8Array {
  const out = new Uint16Array(values.length);
  const encode = dtype === 'f16' ? f16Bits : bf16Bits;
  for (let i = 0; i < values.length; i++) out[i] = encode(values[i]);
  return new Uint8Array(out.buffer);
}
