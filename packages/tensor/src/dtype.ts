// Element types and devices, and the byte layout of each dtype in a storage.
export type DType = 'f32' | 'f16' | 'bf16' | 'q8' | 'i32';
export type DeviceName = 'cpu' | 'cuda';

export const DTYPES: readonly DType[] = ['f32', 'f16', 'bf16', 'q8', 'i32'];
export const DEVICES: readonly DeviceName[] = ['cpu', 'cuda'];

/** Code of each dtype in the native bindings (matches gptj::DType). */
export const DTYPE_CODE: Readonly<Record<DType, number>> = { f32: 0, f16: 1, bf16: 2, q8: 3, i32: 4 };

export const FLOAT_DTYPES: readonly DType[] = ['f32', 'f16', 'bf16', 'q8'];

/** Bytes per element of the plain dtypes (q8 values are 1 byte, plus its per-row scales). */
export function elementBytes(dtype: DType): number {
  return dtype === 'f32' || dtype === 'i32' ? 4 : dtype === 'q8' ? 1 : 2;
}

/**
 * q8 = int8 matrix [rows, cols] (rows = product of the leading dims) with one f32 scale per row.
 * One storage holds the rows*cols int8 values, zero padding up to a multiple of 64 bytes, then the
 * rows f32 scales: real[r, c] = int8[r, c] * scale[r].
 */
export function q8ScalesOffset(rows: number, cols: number): number {
  return Math.ceil((rows * cols) / 64) * 64;
}

/** [rows, cols] of a shape seen as a matrix over its last dim (the q8 row layout; a scalar is [1, 1]). */
export function matrixDims(shape: readonly number[]): [number, number] {
  const size = shape.reduce((a, b) => a * b, 1);
  const cols = shape.length === 0 ? 1 : shape[shape.length - 1];
  return [cols === 0 ? 0 : size / cols, cols];
}

/** Bytes a contiguous tensor of this dtype and shape occupies. */
export function storageBytes(dtype: DType, shape: readonly number[]): number {
  if (dtype !== 'q8') return shape.reduce((a, b) => a * b, 1) * elementBytes(dtype);
  const [rows, cols] = matrixDims(shape);
  return q8ScalesOffset(rows, cols) + 4 * rows;
}
