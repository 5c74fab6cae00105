// Stored int8 checkpoints (the layout `gptj convert --dtype int8` writes; documented in README.md):
//   <name>.weight        I8  [out, in]   q, row-major
//   <name>.weight_scale  F32 [out, 1]    s (F32/F16/BF16 and [out] are accepted on read), real[r, c] = q[r, c] * s[r]
// for every linear layer's weight matrix; everything else stays a float tensor. This is the symmetric
// per-channel int8 layout of compressed-tensors / HF, and it is exactly @gptj/tensor's q8 (per-row absmax
// scales): a stored q8 weight loads back into the same q8 tensor, bit for bit.
//
// Both directions go through @gptj/tensor's public q8 parts: `toQ8Parts()` of the tensor core's own cast when
// writing, `Tensor.fromQ8(values, scales, [out, in])` when loading (one copy, no requantization).
import { NonFiniteError, Tensor, cast } from '@gptj/tensor';
import type { StoredDType } from './entries.js';

export const SCALE_SUFFIX = '_scale';
/** `__metadata__` of a stored int8 safetensors file. */
export const INT8_METADATA: Readonly<Record<string, string>> = { format: 'pt', gptj_quantization: 'q8-per-row' };

/** Where a block of rows sits: the checkpoint tensor it belongs to and the index of its first row there. */
export interface RowBlock {
  name: string;
  firstRow: number;
}

/**
 * `rows` whole rows of a float matrix (little-endian bytes of `dtype`) cast by the tensor core to `to`, the cast
 * loadModel's dtype uses. A NaN or infinity throws NonFiniteError naming `at.name` and its row in the whole
 * tensor (the cast only sees this block, so its row is shifted by `at.firstRow`).
 */
export function castRows(bytes: Uint8Array, dtype: 'F32' | 'F16' | 'BF16', rows: number, cols: number, at: RowBlock, to: 'q8' | 'q4'): Tensor {
  const src = Tensor.fromBytes(bytes, [rows, cols], dtype === 'F32' ? 'f32' : dtype === 'F16' ? 'f16' : 'bf16');
  try {
    return cast(src, to, { name: at.name });
  } catch (e) {
    if (e instanceof NonFiniteError) throw new NonFiniteError(e.op, at.firstRow + e.row, e.column, e.value, at.name);
    throw e;
  } finally {
    src.dispose();
  }
}

/** castRows to q8: the int8 values and the per-row f32 scales. */
export function quantizeRows(
  bytes: Uint8Array,
  dtype: 'F32' | 'F16' | 'BF16',
  rows: number,
  cols: number,
  at: RowBlock,
): { values: Uint8Array; scales: Float32Array } {
  const q = castRows(bytes, dtype, rows, cols, at, 'q8');
  try {
    const { values, scales } = q.toQ8Parts();
    return { values: new Uint8Array(values.buffer, values.byteOffset, values.byteLength), scales };
  } finally {
    q.dispose();
  }
}

/** f32 scales from the stored bytes of a scale tensor (F16/BF16 widened exactly). */
export function scalesAsF32(bytes: Uint8Array, dtype: StoredDType, rows: number): Float32Array {
  if (dtype === 'F32') return new Float32Array(bytes.slice().buffer, 0, rows);
  const t = Tensor.fromBytes(bytes, [rows], dtype === 'F16' ? 'f16' : 'bf16');
  try {
    return t.toFloat32Array();
  } finally {
    t.dispose();
  }
}
