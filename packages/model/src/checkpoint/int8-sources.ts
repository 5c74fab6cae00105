import type { TensorEntry } from './entries.js';
import { SCALE_SUFFIX, quantizeRows } from './int8-layout.js';
import type { TensorSource } from './tensor-source.js';

// Elements quantized per chunk: bounds the extra memory to a few tens of MiB whatever the matrix size.
const CHUNK_ELEMENTS = 1 << 22;

/**
 * The two tensors a float weight matrix [out, in] becomes in a stored int8 checkpoint: `<name>` I8 [out, in]
 * and `<name>_scale` F32 [out, 1] (see int8-layout.ts). The matrix is read and quantized a block of whole rows
 * at a time while the I8 tensor streams out; its scales (4 bytes a row) are kept and written next, so the
 * writer must take the two sources in the order returned (writeSafetensors does). `onRows(rows)` reports
 * progress in rows done.
 */
export function int8Sources(e: TensorEntry, onRows?: (rowsDone: number) => void): [TensorSource, TensorSource] {
  if (e.shape.length !== 2 || (e.dtype !== 'F32' && e.dtype !== 'F16' && e.dtype !== 'BF16')) {
    throw new TypeError(`int8Sources: ${e.name} is ${e.dtype} [${e.shape}], not a float matrix`);
  }
  const dtype = e.dtype;
  const [rows, cols] = e.shape;
  const rowBytes = cols * (dtype === 'F32' ? 4 : 2);
  const scales = new Float32Array(rows);
  let quantized = false;
  const weight: TensorSource = {
    name: e.name,
    dtype: 'I8',
    shape: [rows, cols],
    data: function* () {
      const step = Math.max(1, Math.floor(CHUNK_ELEMENTS / Math.max(cols, 1)));
      for (let r = 0; r < rows; r += step) {
        const n = Math.min(step, rows - r);
        const part = quantizeRows(e.file.read(e.offset + r * rowBytes, n * rowBytes), dtype, n, cols, { name: e.name, firstRow: r });
        scales.set(part.scales, r);
        onRows?.(r + n);
        yield part.values;
      }
      quantized = true;
    },
  };
  const scale: TensorSource = {
    name: `${e.name}${SCALE_SUFFIX}`,
    dtype: 'F32',
    shape: [rows, 1],
    data: function* () {
      if (!quantized) throw new Error(`int8Sources: ${e.name}${SCALE_SUFFIX} must be written after ${e.name}`);
      yield new Uint8Array(scales.buffer);
    },
  };
  return [weight, scale];
}
