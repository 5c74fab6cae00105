// Typed errors of the tensor core. Every message names the op and describes the tensors involved
// (dtype[shape]@device), e.g. "linear: x has 5 features but w expects 4 (x: f32[2,5]@cpu, w: f16[3,4]@cpu)".
export class TensorError extends Error {
  constructor(message?: string) {
    super(message);
    // Every subclass is named after its class, without restating its name as a string.
    this.name = new.target.name;
  }
}
/** Shapes that do not fit the op (or are not arrays of non-negative integers). */
export class ShapeError extends TensorError {}
/** A dtype the op does not accept. */
export class DTypeError extends TensorError {}
/** Tensors on different devices, or a device that is not available (with the reason). */
export class DeviceError extends TensorError {}
/** A tensor used after dispose() (or disposed while an async op was reading it). */
export class DisposedError extends TensorError {}
/** An index out of range (embedding ids, slice bounds given as ids). */
export class IndexError extends TensorError {}

/** A NaN or infinity where the op needs finite values (q8/q4 quantization of a weight), with where it is. */
export class NonFiniteError extends TensorError {
  constructor(
    readonly op: string,
    /** first bad element, in the [rows, cols] view of the tensor (cols = the last dim) */
    readonly row: number,
    readonly column: number,
    readonly value: number,
    /** the tensor's name when the caller gave one (a checkpoint tensor name) */
    readonly tensor?: string,
  ) {
    super(
      `${op}: ${tensor === undefined ? 'x' : `'${tensor}'`} has ${value} at row ${row}, column ${column}; ` +
        'quantization (q8, q4) needs finite values (a NaN would silently become the row maximum)',
    );
  }
}

/**
 * A memory-mapped file (mmapFile, a checkpoint loaded with mmap) was truncated in place while mapped: its
 * pages past the new end are gone, so the tensors and views over it can no longer be read.
 */
export class MappedFileError extends TensorError {
  constructor(
    message: string,
    readonly path: string,
  ) {
    super(message);
  }
}

/** "f32[2,3]@cpu" */
export function describeTensor(t: { dtype: string; shape: readonly number[]; device: string }): string {
  return `${t.dtype}[${t.shape.join(',')}]@${t.device}`;
}

/** "(x: f32[2,3]@cpu, w: f16[4,3]@cpu)" for the named tensors that are present. */
export function describeArgs(args: Readonly<Record<string, { dtype: string; shape: readonly number[]; device: string } | null | undefined>>): string {
  const parts = Object.entries(args)
    .filter(([, t]) => t != null)
    .map(([k, t]) => `${k}: ${describeTensor(t!)}`);
  return parts.length ? ` (${parts.join(', ')})` : '';
}
