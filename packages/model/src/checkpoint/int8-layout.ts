// Stored int8 checkpoints (the layout `gptj convert --dtype int8` writes; documented in README.md):
//   <name>.weight        I8  [out, in]   q, row-major
//   <name>.weight_scale  F32 [out, 1]    s (F32/F16/BF16 and [out] are accepted on read), real[r, c] = q[r, c] * s[r]
// for every linear layer's weight matrix; everything else stays a float tensor. This is the symmetric
// per-channel int8 layout of compressed-tensors / HF, and it is exactly @gptj/tensor's q8 (per-row absmax
// scales): a stored q8 weight loads back into the same q8 tensor, bit for bit.
//
// @gptj/tensor has no public constructor of a q8 tensor from its int8 values and scales (Tensor.fromBytes
// refuses q8), and no public accessor to a q8 tensor's bytes. Both directions therefore go through the CPU
// storage's read/write, the calls its own upload/download use, on the documented q8 storage layout
// (int8 values, zero padding to a multiple of 64 bytes, then the f32 scales): one copy, no requantization.
// A `Tensor.fromBytes(bytes, shape, 'q8')` over that layout would make loading zero-copy: the writer puts each
// scale tensor right after its weight, so when out * in is a multiple of 64 (every GPT-J 6B matrix) the file
// bytes already are the q8 storage.
import { Tensor, cast } from '@gptj/tensor';
import type { StoredDType } from './entries.js';

export const SCALE_SUFFIX = '_scale';
/** `__metadata__` of a stored int8 safetensors file. */
export const INT8_METADATA: Readonly<Record<string, string>> = { format: 'pt', gptj_quantization: 'q8-per-row' };

interface CpuStorage {
  write(byteOffset: number, src: ArrayBufferView): void;
  read(byteOffset: number, dst: ArrayBufferView): void;
}
const storageOf = (t: Tensor): CpuStorage => t.storage as unknown as CpuStorage;

/** Offset of the scales in a q8 storage of rows x cols (see @gptj/tensor dtype.ts). */
function scalesOffset(rows: number, cols: number): number {
  return Math.ceil((rows * cols) / 64) * 64;
}

/** A CPU q8 tensor [rows, cols] holding exactly `values` (int8, rows * cols bytes) and `scales` (f32 [rows]). */
export function q8FromParts(values: Uint8Array, scales: Float32Array, rows: number, cols: number): Tensor {
  if (values.byteLength !== rows * cols || scales.length !== rows) {
    throw new RangeError(`q8FromParts: ${values.byteLength} values / ${scales.length} scales do not fit [${rows}, ${cols}]`);
  }
  const t = Tensor.zeros([rows, cols], 'q8', 'cpu');
  storageOf(t).write(0, values);
  storageOf(t).write(scalesOffset(rows, cols), scales);
  return t;
}

/**
 * Quantizes `rows` whole rows of a float matrix (little-endian bytes of `dtype`) with the tensor core's own
 * q8 cast, the same one loadModel's dtype 'q8' uses. Returns the int8 values and the per-row f32 scales.
 */
export function quantizeRows(bytes: Uint8Array, dtype: 'F32' | 'F16' | 'BF16', rows: number, cols: number): { values: Uint8Array; scales: Float32Array } {
  const src = Tensor.fromBytes(bytes, [rows, cols], dtype === 'F32' ? 'f32' : dtype === 'F16' ? 'f16' : 'bf16');
  const q = cast(src, 'q8');
  src.dispose();
  try {
    const values = new Uint8Array(rows * cols);
    const scales = new Float32Array(rows);
    storageOf(q).read(0, values);
    storageOf(q).read(scalesOffset(rows, cols), scales);
    return { values, scales };
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
