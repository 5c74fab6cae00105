// Argument checks shared by the ops. Each throws the TensorError subclass that names the problem,
// the op, and the tensors involved.
import { dispatch, type Backend } from '../backend.js';
import type { DType } from '../dtype.js';
import { DTypeError, DisposedError, ShapeError, TensorError, describeArgs } from '../errors.js';
import { Tensor } from '../tensor.js';

export type Args = Readonly<Record<string, Tensor | null | undefined>>;

/** `t` must be a Tensor (not disposed checks happen in dispatch). */
export function expectTensor(op: string, name: string, t: unknown): asserts t is Tensor {
  if (!(t instanceof Tensor)) throw new TensorError(`${op}: ${name} must be a Tensor, got ${t === null ? 'null' : typeof t}`);
}

export function expectDType(op: string, args: Args, name: string, allowed: readonly DType[]): void {
  const t = args[name]!;
  if (!allowed.includes(t.dtype)) throw new DTypeError(`${op}: ${name} must be ${allowed.join(' or ')}, got ${t.dtype}${describeArgs(args)}`);
}

/** Exact rank, or at least `min` dims when given as { min }. */
export type Rank = number | { min: number };

/** What an op accepts for one tensor argument. */
export interface TensorSpec {
  dtypes: readonly DType[];
  rank?: Rank;
  /** null or undefined stands for "not given" (a bias, a mask) */
  optional?: boolean;
}

/**
 * The prologue every op shares, in the order its errors are reported: each argument of `specs` is a
 * Tensor, all are live and on one device (dispatch, which returns their backend), each has one of its
 * dtypes, then its rank. `args` names the tensors for error messages.
 */
export function checkTensors(op: string, args: Args, specs: Readonly<Record<string, TensorSpec>>): Backend {
  // for-in loops, not entries/filter: this runs on every op call
  for (const name in specs) {
    const t: unknown = args[name];
    if (t != null || !specs[name]!.optional) expectTensor(op, name, t);
  }
  const backend = dispatch(op, args);
  for (const name in specs) if (args[name] != null) expectDType(op, args, name, specs[name]!.dtypes);
  for (const name in specs) {
    const rank = specs[name]!.rank;
    if (rank !== undefined && args[name] != null) expectRank(op, args, name, rank);
  }
  return backend;
}

/** `name` has the rank `rank`. */
export function expectRank(op: string, args: Args, name: string, rank: Rank): void {
  const t = args[name]!;
  const ok = typeof rank === 'number' ? t.shape.length === rank : t.shape.length >= rank.min;
  if (!ok) {
    const want = typeof rank === 'number' ? `${rank} dims` : `at least ${rank.min} dims`;
    throw new ShapeError(`${op}: ${name} must have ${want}, got [${t.shape.join(',')}]${describeArgs(args)}`);
  }
}

export function shapeError(op: string, args: Args, msg: string): ShapeError {
  return new ShapeError(`${op}: ${msg}${describeArgs(args)}`);
}

/** An integer in [lo, hi]. */
export function expectInt(op: string, name: string, v: unknown, lo: number, hi: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < lo || v > hi)
    throw new TensorError(`${op}: ${name} must be an integer in [${lo}, ${hi}], got ${String(v)}`);
  return v;
}

export function expectFinite(op: string, name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new TensorError(`${op}: ${name} must be a finite number, got ${String(v)}`);
  return v;
}

/** An axis in [-rank, rank) mapped to [0, rank). */
export function normAxis(op: string, axis: unknown, rank: number): number {
  const a = expectInt(op, 'axis', axis, -rank, rank - 1);
  return a < 0 ? a + rank : a;
}

/** Row-major element strides of a shape. */
export function stridesOf(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i];
  }
  return s;
}

/** Runs the kernel writing into `out`; frees `out` if it throws. */
export function fill(out: Tensor, kernel: () => void): Tensor {
  try {
    kernel();
    return out;
  } catch (e) {
    out.dispose();
    throw e;
  }
}

/** Async variant of fill: frees `out` and throws DisposedError if an input was disposed in flight. */
export async function fillAsync(op: string, out: Tensor, inputs: Args, kernel: () => Promise<void>): Promise<Tensor> {
  try {
    await kernel();
  } catch (e) {
    out.dispose();
    throw e;
  }
  for (const [name, t] of Object.entries(inputs))
    if (t?.disposed) {
      out.dispose();
      throw new DisposedError(`${op}: ${name} was disposed while the op was in flight${describeArgs(inputs)}`);
    }
  return out;
}
