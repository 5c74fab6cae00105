// Stored q4 checkpoints (the layout `gptj convert --dtype q4` writes; documented in README.md):
//   <name>.weight        U8  [out, in / 2]   4-bit codes, row-major, 16 bytes per group of 32 weights: byte i of a
//                                           group holds weight i in its low nibble and weight i + 16 in its high one
//   <name>.weight_scale  F16 [out, in / 32]  d per group: real[r, 32 g + j] = (code - 8) * d[r, g]
// for every linear layer's weight matrix (in a multiple of 32); the embedding is F16, biases and norms F32.
// These are exactly the two parts of @gptj/tensor's q4 storage (codes, 64-byte padding, scales), so a stored q4
// weight loads back into the same q4 tensor, byte for byte, and U8 + F16 keep the file readable by any
// safetensors reader.
import { Q4_GROUP, Tensor, q4ScalesOffset } from '@gptj/tensor';
import { type RowBlock, castRows } from './int8-layout.js';

/** `__metadata__` of a stored q4 safetensors file. */
export const Q4_METADATA: Readonly<Record<string, string>> = { format: 'pt', gptj_quantization: 'q4-g32' };

/** The stored shapes of a q4 matrix [rows, cols]: its codes and its scales. */
export function q4StoredShapes(rows: number, cols: number): { codes: [number, number]; scales: [number, number] } {
  return { codes: [rows, cols / 2], scales: [rows, cols / Q4_GROUP] };
}

/** castRows to q4: the codes (cols / 2 bytes a row) and the f16 scales' bytes (cols / 16 a row). */
export function quantizeRowsQ4(
  bytes: Uint8Array,
  dtype: 'F32' | 'F16' | 'BF16',
  rows: number,
  cols: number,
  at: RowBlock,
): { codes: Uint8Array; scales: Uint8Array } {
  const q = castRows(bytes, dtype, rows, cols, at, 'q4');
  try {
    const all = q.toBytes();
    return { codes: all.subarray(0, (rows * cols) / 2), scales: all.subarray(q4ScalesOffset(rows, cols)) };
  } finally {
    q.dispose();
  }
}

/** The q4 tensor [rows, cols] of stored codes and f16 scale bytes (sizes checked by the checkpoint's reader). */
export function q4FromParts(codes: Uint8Array, scales: Uint8Array, rows: number, cols: number): Tensor {
  const offset = q4ScalesOffset(rows, cols);
  const bytes = new Uint8Array(offset + scales.byteLength); // the padding between stays zero, as the cast leaves it
  bytes.set(codes, 0);
  bytes.set(scales, offset);
  return Tensor.fromBytes(bytes, [rows, cols], 'q4');
}
