// Tensor: shape + dtype + device over a reference-counted backend storage.
//
// Tensors are always contiguous row-major. reshape() and to(sameDevice) are views: they share the
// storage, which is freed when every tensor viewing it has been disposed (or, as a safety net, when
// the garbage collector drops the native Storage object). dispose() is idempotent.
import { backendFor, dispatch, type BackendStorage } from './backend.js';
import { DTYPES, DEVICES, elementBytes, q4ShapeProblem, q8ScalesOffset, storageBytes, type DType, type DeviceName } from './dtype.js';
import { DTypeError, DisposedError, ShapeError, TensorError, describeTensor } from './errors.js';
import { cpuStorageView } from './cpu-backend.js';
import { cast as castTo } from './ops/cast.js';

/** Storage shared by a tensor and its views; freed when the last user disposes. */
class SharedStorage {
  users = 0;
  constructor(readonly native: BackendStorage) {}
  release(): void {
    if (--this.users === 0) this.native.free();
  }
}

const INTERNAL = Symbol('Tensor.internal');

/** Checks a shape: an array of non-negative safe integers. Returns a frozen copy. */
export function checkShape(op: string, shape: unknown): readonly number[] {
  if (!Array.isArray(shape)) throw new ShapeError(`${op}: shape must be an array of integers, got ${typeof shape}`);
  for (const d of shape)
    if (typeof d !== 'number' || !Number.isSafeInteger(d) || d < 0) throw new ShapeError(`${op}: shape [${shape.join(',')}] must hold non-negative integers`);
  return Object.freeze([...shape]);
}

function checkDType(op: string, dtype: unknown): DType {
  if (!DTYPES.includes(dtype as DType)) throw new DTypeError(`${op}: unknown dtype '${String(dtype)}' (expected ${DTYPES.join(', ')})`);
  return dtype as DType;
}

function checkQ4Shape(op: string, dtype: DType, shape: readonly number[]): void {
  const problem = dtype === 'q4' ? q4ShapeProblem(shape) : undefined;
  if (problem) throw new ShapeError(`${op}: ${problem}`);
}

function checkDevice(op: string, device: unknown): DeviceName {
  if (!DEVICES.includes(device as DeviceName)) throw new TensorError(`${op}: unknown device '${String(device)}' (expected cpu or cuda)`);
  return device as DeviceName;
}

export class Tensor {
  readonly shape: readonly number[];
  readonly dtype: DType;
  readonly device: DeviceName;
  /** Element count. */
  readonly size: number;
  #shared: SharedStorage;
  #disposed = false;

  /** @internal Use the static constructors, or `allocTensor` inside the package. */
  constructor(token: typeof INTERNAL, shared: SharedStorage, shape: readonly number[], dtype: DType, device: DeviceName) {
    if (token !== INTERNAL) throw new TensorError('Tensor: use Tensor.fromArray/fromBytes/fromQ8/zeros');
    this.#shared = shared;
    shared.users++;
    this.shape = shape;
    this.dtype = dtype;
    this.device = device;
    this.size = shape.reduce((a, b) => a * b, 1);
  }

  get disposed(): boolean {
    return this.#disposed;
  }

  /** @internal The backend storage (for backends); throws DisposedError after dispose(). */
  get storage(): BackendStorage {
    if (this.#disposed) throw new DisposedError(`storage: tensor ${describeTensor(this)} was disposed`);
    return this.#shared.native;
  }

  /** Copies `data` into a new tensor; converts to f16/bf16/q8 when `opts.dtype` asks. */
  static fromArray(data: Float32Array | Int32Array | number[], shape: readonly number[], opts?: { dtype?: DType; device?: DeviceName }): Tensor {
    const op = 'Tensor.fromArray';
    opts ??= {};
    const s = checkShape(op, shape);
    const device = checkDevice(op, opts.device ?? 'cpu');
    const isInt = data instanceof Int32Array;
    if (!(data instanceof Float32Array) && !isInt && !Array.isArray(data))
      throw new TensorError(`${op}: data must be a Float32Array, an Int32Array or a number[]`);
    const dtype = checkDType(op, opts.dtype ?? (isInt ? 'i32' : 'f32'));
    const size = s.reduce((a, b) => a * b, 1);
    if (data.length !== size) throw new ShapeError(`${op}: ${data.length} values do not fill shape [${s.join(',')}] (${size} elements)`);
    if (dtype === 'q8' && s.length === 0) throw new ShapeError(`${op}: q8 needs at least one dimension`);
    checkQ4Shape(op, dtype, s);
    let host: Float32Array | Int32Array;
    if (dtype === 'i32') {
      if (data instanceof Float32Array) throw new DTypeError(`${op}: dtype i32 needs an Int32Array or integer number[], got a Float32Array`);
      if (Array.isArray(data))
        for (const v of data)
          if (typeof v !== 'number' || !Number.isInteger(v) || v < -2147483648 || v > 2147483647)
            throw new DTypeError(`${op}: dtype i32 needs 32-bit integers, got ${String(v)}`);
      host = data instanceof Int32Array ? data : Int32Array.from(data);
    } else {
      if (Array.isArray(data)) for (const v of data) if (typeof v !== 'number') throw new DTypeError(`${op}: data must hold numbers, got ${typeof v}`);
      host = data instanceof Float32Array ? data : Float32Array.from(data);
    }
    const cpuT = fromHost(new Uint8Array(host.buffer, host.byteOffset, host.byteLength), s, dtype === 'i32' ? 'i32' : 'f32');
    let t = cpuT;
    if (dtype !== 'i32' && dtype !== 'f32') {
      t = castTo(cpuT, dtype);
      cpuT.dispose();
    }
    if (device === 'cpu') return t;
    const moved = t.to(device);
    t.dispose();
    return moved;
  }

  /**
   * A CPU tensor viewing `bytes` without copying (e.g. a memory-mapped checkpoint); it keeps `bytes`
   * alive. If `bytes` is not aligned to the element size the data is copied instead, since the
   * kernels need aligned elements. q4 bytes are its whole storage layout (dtype.ts q4ScalesOffset).
   */
  static fromBytes(bytes: Uint8Array, shape: readonly number[], dtype: 'f32' | 'f16' | 'bf16' | 'i32' | 'q4'): Tensor {
    const op = 'Tensor.fromBytes';
    if (!(bytes instanceof Uint8Array)) throw new TensorError(`${op}: bytes must be a Uint8Array`);
    const s = checkShape(op, shape);
    if (checkDType(op, dtype) === 'q8') throw new DTypeError(`${op}: q8 tensors are built with fromArray or cast`);
    checkQ4Shape(op, dtype, s);
    const need = storageBytes(dtype, s);
    if (bytes.byteLength !== need) throw new ShapeError(`${op}: ${bytes.byteLength} bytes do not match ${dtype}[${s.join(',')}] (${need} bytes)`);
    // A copy when the view would be misaligned, or empty: V8 gives a zero-length ArrayBuffer no memory, and a
    // native view with no data pointer reads as a freed storage (every op on it said 'x was disposed').
    const align = dtype === 'q4' ? 2 : elementBytes(dtype); // q4: its f16 scales
    if (bytes.byteOffset % align !== 0 || need === 0) return fromHost(bytes, s, dtype);
    return new Tensor(INTERNAL, new SharedStorage(cpuStorageView(bytes)), s, dtype, 'cpu');
  }

  /**
   * A CPU q8 tensor [rows, cols] holding exactly `values` (int8, row-major) and `scales` (one f32 per
   * row): real[r, c] = values[r * cols + c] * scales[r]. Both are copied as given, never requantized,
   * so a q8 tensor round-trips through toQ8Parts() bit for bit. Scales must be finite and >= 0.
   */
  static fromQ8(values: Int8Array, scales: Float32Array, shape: readonly [number, number]): Tensor {
    const op = 'Tensor.fromQ8';
    if (!(values instanceof Int8Array)) throw new DTypeError(`${op}: values must be an Int8Array`);
    if (!(scales instanceof Float32Array)) throw new DTypeError(`${op}: scales must be a Float32Array`);
    const s = checkShape(op, shape);
    if (s.length !== 2) throw new ShapeError(`${op}: shape must be [rows, cols], got [${s.join(',')}]`);
    const [rows, cols] = s;
    if (values.length !== rows * cols) throw new ShapeError(`${op}: ${values.length} values do not fill [${rows},${cols}] (${rows * cols} elements)`);
    if (scales.length !== rows) throw new ShapeError(`${op}: ${scales.length} scales for ${rows} rows (one per row)`);
    for (let r = 0; r < rows; r++)
      if (!(scales[r] >= 0 && scales[r] < Infinity)) throw new TensorError(`${op}: scales[${r}] is ${scales[r]}; scales must be finite and >= 0`);
    // The q8 storage layout (dtype.ts): values, zero padding, then the scales (none stored when cols is 0).
    const backend = backendFor('cpu');
    const storage = backend.alloc(storageBytes('q8', s), false);
    try {
      const at = q8ScalesOffset(rows, cols);
      backend.write(storage, 0, asBytes(values));
      backend.write(storage, values.length, new Uint8Array(at - values.length));
      if (cols > 0) backend.write(storage, at, asBytes(scales));
    } catch (e) {
      storage.free();
      throw e;
    }
    return new Tensor(INTERNAL, new SharedStorage(storage), s, 'q8', 'cpu');
  }

  static zeros(shape: readonly number[], dtype: DType = 'f32', device: DeviceName = 'cpu'): Tensor {
    const op = 'Tensor.zeros';
    const s = checkShape(op, shape);
    const dt = checkDType(op, dtype);
    if (dt === 'q8' && s.length === 0) throw new ShapeError(`${op}: q8 needs at least one dimension`);
    checkQ4Shape(op, dt, s);
    return allocTensor(backendFor(checkDevice(op, device)), s, dt, true);
  }

  /** Host copy as float32 (f16/bf16 widened, q8 dequantized). */
  toFloat32Array(): Float32Array {
    const op = 'toFloat32Array';
    dispatch(op, { x: this });
    if (this.dtype === 'i32') throw new DTypeError(`${op}: ${describeTensor(this)} is an integer tensor; use toInt32Array`);
    const f = this.dtype === 'f32' ? this : castTo(this, 'f32');
    try {
      return f.#read(0, new Float32Array(this.size));
    } finally {
      if (f !== this) f.dispose();
    }
  }

  toInt32Array(): Int32Array {
    const op = 'toInt32Array';
    dispatch(op, { x: this });
    if (this.dtype !== 'i32') throw new DTypeError(`${op}: ${describeTensor(this)} is not i32; use toFloat32Array`);
    return this.#read(0, new Int32Array(this.size));
  }

  /**
   * Host copy of the stored elements in this tensor's own dtype, row-major: f32/i32 4 bytes and
   * f16/bf16 2 bytes per element, little-endian (host order). The result owns a fresh ArrayBuffer,
   * so `new Uint16Array(t.toBytes().buffer)` gives the f16 bit patterns. q4: its whole storage (codes,
   * padding, f16 scales: dtype.ts q4ScalesOffset). q8 has two parts: use toQ8Parts().
   */
  toBytes(): Uint8Array {
    const op = 'toBytes';
    dispatch(op, { x: this });
    if (this.dtype === 'q8') throw new DTypeError(`${op}: ${describeTensor(this)} is q8 (int8 values + per-row scales); use toQ8Parts`);
    return this.#read(0, new Uint8Array(storageBytes(this.dtype, this.shape)));
  }

  /**
   * Host copy of a q8 tensor's parts, exactly as stored: `values` (int8, row-major, `size` of them)
   * and `scales` (one f32 per row, rows = size / last dim): real = values[r * cols + c] * scales[r].
   */
  toQ8Parts(): { values: Int8Array; scales: Float32Array } {
    const op = 'toQ8Parts';
    dispatch(op, { x: this });
    if (this.dtype !== 'q8') throw new DTypeError(`${op}: ${describeTensor(this)} is not q8; use toBytes`);
    const cols = this.shape[this.shape.length - 1];
    const rows = this.shape.slice(0, -1).reduce((a, b) => a * b, 1);
    const values = this.#read(0, new Int8Array(this.size));
    const scales = new Float32Array(rows);
    if (cols > 0) this.#read(q8ScalesOffset(rows, cols), scales); // a [rows, 0] tensor stores no scales
    return { values, scales };
  }

  /** Copy to another device (a view when it is already there). */
  to(device: DeviceName): Tensor {
    const op = 'to';
    const dst = checkDevice(op, device);
    const src = dispatch(op, { x: this });
    if (dst === this.device) return new Tensor(INTERNAL, this.#shared, this.shape, this.dtype, this.device);
    const target = backendFor(dst);
    const bytes = new Uint8Array(this.#shared.native.byteLength);
    src.download(this.storage, 0, bytes);
    return new Tensor(INTERNAL, new SharedStorage(target.upload(bytes)), this.shape, this.dtype, dst);
  }

  /** A view with another shape of the same element count; one dim may be -1. */
  reshape(shape: readonly number[]): Tensor {
    const op = 'reshape';
    dispatch(op, { x: this });
    if (!Array.isArray(shape)) throw new ShapeError(`${op}: shape must be an array of integers`);
    const free = shape.filter((d) => d === -1).length;
    if (free > 1) throw new ShapeError(`${op}: only one dim may be -1 in [${shape.join(',')}]`);
    const known = checkShape(
      op,
      shape.map((d) => (d === -1 ? 0 : d)),
    ).reduce((a, b, i) => (shape[i] === -1 ? a : a * b), 1);
    let out = [...shape];
    if (free === 1) {
      if (known === 0 || this.size % known !== 0) throw new ShapeError(`${op}: cannot reshape ${describeTensor(this)} to [${shape.join(',')}]`);
      out = shape.map((d) => (d === -1 ? this.size / known : d));
    }
    const s = checkShape(op, out);
    if (s.reduce((a, b) => a * b, 1) !== this.size)
      throw new ShapeError(`${op}: cannot reshape ${describeTensor(this)} (${this.size} elements) to [${shape.join(',')}]`);
    if ((this.dtype === 'q8' || this.dtype === 'q4') && (s.length === 0 || s[s.length - 1] !== this.shape[this.shape.length - 1]))
      throw new ShapeError(`${op}: a ${this.dtype} tensor keeps its last dim (its rows carry the scales): ${describeTensor(this)} to [${shape.join(',')}]`);
    return new Tensor(INTERNAL, this.#shared, s, this.dtype, this.device);
  }

  /** Copies stored bytes from `byteOffset` into `dst` (the caller has checked liveness). */
  #read<T extends ArrayBufferView>(byteOffset: number, dst: T): T {
    backendFor(this.device).download(this.#shared.native, byteOffset, asBytes(dst));
    return dst;
  }

  /** Frees the native memory now (once no other view uses it). Safe to call twice. */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    this.#shared.release();
  }

  toString(): string {
    return `Tensor(${describeTensor(this)}${this.#disposed ? ', disposed' : ''})`;
  }
}

/** @internal A new uninitialised (or zeroed) contiguous tensor on `backend`. */
export function allocTensor(
  backend: { device: DeviceName; alloc(n: number, zero: boolean): BackendStorage },
  shape: readonly number[],
  dtype: DType,
  zero = false,
): Tensor {
  return new Tensor(INTERNAL, new SharedStorage(backend.alloc(storageBytes(dtype, shape), zero)), shape, dtype, backend.device);
}

/** @internal Wraps an existing backend storage as a tensor (it becomes owned by the tensor). */
export function wrapStorage(storage: BackendStorage, shape: readonly number[], dtype: DType, device: DeviceName): Tensor {
  return new Tensor(INTERNAL, new SharedStorage(storage), shape, dtype, device);
}

/** Copies host bytes into a new CPU tensor. */
function fromHost(bytes: Uint8Array, shape: readonly number[], dtype: DType): Tensor {
  return new Tensor(INTERNAL, new SharedStorage(backendFor('cpu').upload(bytes)), shape, dtype, 'cpu');
}

/** The bytes of a typed array (a view, no copy). */
function asBytes(a: ArrayBufferView): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}
