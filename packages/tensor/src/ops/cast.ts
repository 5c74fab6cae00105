// cast: dtype conversion (f32 <-> f16/bf16, any float -> q8 with per-row absmax scales, q8 -> float,
// any float <-> q4 in groups of 32 with f16 scales, CPU only).
import { dispatch } from '../backend.js';
import { DTYPES, q4ShapeProblem, type DType } from '../dtype.js';
import { DeviceError, DTypeError, NonFiniteError, ShapeError } from '../errors.js';
import { allocTensor, type Tensor } from '../tensor.js';
import { expectTensor, fill } from './check.js';

export interface CastOptions {
  /** Named in errors, e.g. the checkpoint tensor being quantized. */
  name?: string;
}

/**
 * x: any shape -> same shape in `dtype`. q8 quantizes each row (last dim) with scale = absmax / 127
 * and round-half-even, and throws NonFiniteError (naming `options.name`, the first bad row and column)
 * on a NaN or infinity on the CPU; q8 -> float dequantizes. q4 (CPU only; last dim a multiple of 32)
 * quantizes each group of 32 of a row (dtype.ts q4ScalesOffset), refusing non-finite values like q8
 * and |x| > 524032 (its f16 scale would overflow) with a TensorError; q4 -> float dequantizes. i32
 * casts only to i32 (a copy).
 */
export function cast(x: Tensor, dtype: DType, options: CastOptions = {}): Tensor {
  const op = 'cast';
  expectTensor(op, 'x', x);
  const backend = dispatch(op, { x });
  if (!DTYPES.includes(dtype)) throw new DTypeError(`${op}: unknown dtype '${String(dtype)}'`);
  if ((x.dtype === 'i32') !== (dtype === 'i32')) throw new DTypeError(`${op}: cannot cast ${x.dtype} to ${dtype} (i32 ids do not convert to or from floats)`);
  if (dtype === 'q8' && x.shape.length === 0) throw new ShapeError(`${op}: q8 needs at least one dimension`);
  if (dtype === 'q4' || x.dtype === 'q4') {
    if (x.device !== 'cpu')
      throw new DeviceError(`${op}: q4 is CPU-only; move the tensor to the CPU first (x: ${x.dtype} [${x.shape.join(',')}] on ${x.device})`);
    const problem = q4ShapeProblem(x.shape);
    if (problem) throw new ShapeError(`${op}: ${problem}${options.name !== undefined ? ` (${options.name})` : ''}`);
  }
  const out = allocTensor(backend, x.shape, dtype);
  try {
    return fill(out, () => backend.cast(x, out));
  } catch (e) {
    if (e instanceof NonFiniteError && options.name !== undefined) throw new NonFiniteError(op, e.row, e.column, e.value, options.name);
    throw e;
  }
}
