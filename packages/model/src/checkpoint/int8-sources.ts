import type { TensorEntry } from './entries.js';
import { SCALE_SUFFIX, quantizeRows } from './int8-layout.js';
import { q4StoredShapes, quantizeRowsQ4 } from './q4-layout.js';
import type { TensorSource } from './tensor-source.js';

// Elements quantized per chunk: bounds the extra memory to a few tens of MiB whatever the matrix size.
const CHUNK_ELEMENTS = 1 << 22;

/** How a block of rows becomes stored bytes: the weight's chunk and the scales' chunk. */
type QuantizeRows = (
  bytes: Uint8Array,
  dtype: 'F32' | 'F16' | 'BF16',
  rows: number,
  cols: number,
  at: { name: string; firstRow: number },
) => { weight: Uint8Array; scales: Uint8Array };

/**
 * The two tensors a float weight matrix [out, in] becomes in a stored int8 checkpoint: `<name>` I8 [out, in]
 * and `<name>_scale` F32 [out, 1] (see int8-layout.ts). The matrix is read and quantized a block of whole rows
 * at a time while the I8 tensor streams out; its scales (4 bytes a row) are kept and written next, so the
 * writer must take the two sources in the order returned (writeSafetensors does). `onRows(rows)` reports
 * progress in rows done.
 */
export function int8Sources(e: TensorEntry, onRows?: (rowsDone: number) => void): [TensorSource, TensorSource] {
  const m = floatMatrix('int8Sources', e);
  const quantize: QuantizeRows = (...args) => {
    const { values, scales } = quantizeRows(...args);
    return { weight: values, scales: new Uint8Array(scales.buffer, scales.byteOffset, scales.byteLength) };
  };
  return quantizedSources('int8Sources', e, m, { weight: 'I8', shape: [m.rows, m.cols] }, { scale: 'F32', shape: [m.rows, 1] }, quantize, onRows);
}

/**
 * The same for a stored q4 checkpoint (q4-layout.ts): `<name>` U8 [out, in / 2] of 4-bit codes, then `<name>_scale`
 * F16 [out, in / 32] (kept while the codes stream: 1/16 byte a weight). `in` must be a multiple of 32.
 */
export function q4Sources(e: TensorEntry, onRows?: (rowsDone: number) => void): [TensorSource, TensorSource] {
  const m = floatMatrix('q4Sources', e);
  const { codes, scales } = q4StoredShapes(m.rows, m.cols);
  const quantize: QuantizeRows = (...args) => {
    const q = quantizeRowsQ4(...args);
    return { weight: q.codes, scales: q.scales };
  };
  return quantizedSources('q4Sources', e, m, { weight: 'U8', shape: codes }, { scale: 'F16', shape: scales }, quantize, onRows);
}

interface FloatMatrix {
  readonly rows: number;
  readonly cols: number;
  readonly dtype: 'F32' | 'F16' | 'BF16';
}

function floatMatrix(op: string, e: TensorEntry): FloatMatrix {
  const [rows, cols, ...rest] = e.shape;
  if (rows === undefined || cols === undefined || rest.length || (e.dtype !== 'F32' && e.dtype !== 'F16' && e.dtype !== 'BF16')) {
    throw new TypeError(`${op}: ${e.name} is ${e.dtype} [${e.shape}], not a float matrix`);
  }
  return { rows, cols, dtype: e.dtype };
}

function quantizedSources(
  op: string,
  e: TensorEntry,
  { rows, cols, dtype }: FloatMatrix,
  w: { weight: 'I8' | 'U8'; shape: [number, number] },
  s: { scale: 'F32' | 'F16'; shape: [number, number] },
  quantize: QuantizeRows,
  onRows?: (rowsDone: number) => void,
): [TensorSource, TensorSource] {
  const rowBytes = cols * (dtype === 'F32' ? 4 : 2);
  const scaleRowBytes = s.shape[1] * (s.scale === 'F32' ? 4 : 2);
  const scales = new Uint8Array(rows * scaleRowBytes);
  let quantized = false;
  const weight: TensorSource = {
    name: e.name,
    dtype: w.weight,
    shape: w.shape,
    data: function* () {
      const step = Math.max(1, Math.floor(CHUNK_ELEMENTS / Math.max(cols, 1)));
      for (let r = 0; r < rows; r += step) {
        const n = Math.min(step, rows - r);
        const part = quantize(e.file.read(e.offset + r * rowBytes, n * rowBytes), dtype, n, cols, { name: e.name, firstRow: r });
        scales.set(part.scales, r * scaleRowBytes);
        onRows?.(r + n);
        yield part.weight;
      }
      quantized = true;
    },
  };
  const scale: TensorSource = {
    name: `${e.name}${SCALE_SUFFIX}`,
    dtype: s.scale,
    shape: s.shape,
    data: function* () {
      if (!quantized) throw new Error(`${op}: ${e.name}${SCALE_SUFFIX} must be written after ${e.name}`);
      yield scales;
    },
  };
  return [weight, scale];
}
