// Element types and devices, and the byte layout of each dtype in a storage.
export type DType = 'f32' | 'f16' | 'bf16' | 'q8' | 'i32' | 'q4';
export type DeviceName = 'cpu' | 'cuda';

export const DTYPES: readonly DType[] = ['f32', 'f16', 'bf16', 'q8', 'i32', 'q4'];
export const DEVICES: readonly DeviceName[] = ['cpu', 'cuda'];

/** Code of each dtype in the native bindings (gptj::DType in native/common/dtype.h; layouts.test.ts holds them equal). */
export const DTYPE_CODE: Readonly<Record<DType, number>> = { f32: 0, f16: 1, bf16: 2, q8: 3, i32: 4, q4: 5 };

export const FLOAT_DTYPES: readonly DType[] = ['f32', 'f16', 'bf16', 'q8', 'q4'];

/** Bytes per element of the plain dtypes (q8 values are 1 byte, plus its per-row scales; q4: see q4ScalesOffset). */
export function elementBytes(dtype: DType): number {
  return dtype === 'f32' || dtype === 'i32' ? 4 : dtype === 'q8' || dtype === 'q4' ? 1 : 2;
}

/**
 * q8 = int8 matrix [rows, cols] (rows = product of the leading dims) with one f32 scale per row.
 * One storage holds the rows*cols int8 values, zero padding up to a multiple of 64 bytes, then the
 * rows f32 scales: real[r, c] = int8[r, c] * scale[r].
 */
export function q8ScalesOffset(rows: number, cols: number): number {
  return Math.ceil((rows * cols) / 64) * 64;
}

/** Weights per q4 group (one f16 scale each): a q4 tensor's last dim must be a multiple of it. */
export const Q4_GROUP = 32;

/**
 * q4 = 4-bit matrix [rows, cols] (cols a multiple of 32), in groups of 32 consecutive weights of a row,
 * each with one f16 scale d: real = (code - 8) * d, code in 0..15 (native/cpu/q4.h). One storage holds
 * rows*cols/2 bytes of codes (row-major, 16 bytes a group: byte i holds weight i in its low nibble and
 * weight i + 16 in its high nibble), zero padding up to a multiple of 64 bytes, then the rows*cols/32
 * f16 scales (row-major). Quantizing maps each group's largest-magnitude value x to code 0 (d = x / -8,
 * rounded to f16 first) and the rest to round-half-even(x / d) + 8, clamped to 0..15.
 */
export function q4ScalesOffset(rows: number, cols: number): number {
  return Math.ceil((rows * cols) / 2 / 64) * 64;
}

/** Why `shape` cannot be q4 (no dimension, or a last dim that is not a multiple of 32), or undefined. */
export function q4ShapeProblem(shape: readonly number[]): string | undefined {
  if (shape.length === 0) return 'q4 needs at least one dimension';
  const cols = shape[shape.length - 1];
  if (cols % Q4_GROUP !== 0) return `q4 needs the last dim a multiple of ${Q4_GROUP} (its groups of one f16 scale), got ${cols}`;
  return undefined;
}

/** [rows, cols] of a shape seen as a matrix over its last dim (the q8 row layout; a scalar is [1, 1]). */
export function matrixDims(shape: readonly number[]): [number, number] {
  const size = shape.reduce((a, b) => a * b, 1);
  const cols = shape.length === 0 ? 1 : shape[shape.length - 1];
  return [cols === 0 ? 0 : size / cols, cols];
}

/** Bytes a contiguous tensor of this dtype and shape occupies. */
export function storageBytes(dtype: DType, shape: readonly number[]): number {
  const [rows, cols] = matrixDims(shape);
  if (dtype === 'q4') return q4ScalesOffset(rows, cols) + (rows * cols) / 16;
  if (dtype !== 'q8') return shape.reduce((a, b) => a * b, 1) * elementBytes(dtype);
  return q8ScalesOffset(rows, cols) + 4 * rows;
}
