// What the CPU and CUDA GPT-J runners share: the config, the check of a weight tensor (the weights
// themselves are listed in gptj-weights.ts), the packing of a step's ids and mask, and the mapping of
// native errors to TensorErrors.
import type { DType, DeviceName } from './dtype.js';
import { DTypeError, DeviceError, DisposedError, IndexError, ShapeError, TensorError } from './errors.js';
import type { GPTJWeightSpec } from './gptj-weights.js';
import { codedError } from './native-errors.js';
import type { Tensor } from './tensor.js';

export type { RunnerLayerWeights, RunnerWeights } from './gptj-weights.js';

export interface GPTJRunnerConfig {
  vocabSize: number;
  nEmbd: number;
  nLayer: number;
  nHead: number;
  nInner: number;
  rotaryDim: number;
  layerNormEpsilon: number;
  /** rotary base, 10000 for GPT-J */
  ropeBase?: number;
  /** MLP activation: 'gelu_new' (tanh approximation, GPT-J's, the default) or 'gelu' (exact erf); the CUDA runner fuses gelu_new only */
  activation?: 'gelu_new' | 'gelu';
}

/** `t` as a Tensor on `device` with one of `dtypes` and the shape of `spec`, or a typed error naming the weight. */
export function checkRunnerTensor(op: string, device: DeviceName, t: unknown, spec: GPTJWeightSpec, dtypes: readonly DType[]): Tensor {
  const { path: name, shape } = spec;
  const x = t as Tensor;
  if (!x || typeof x !== 'object' || !('shape' in x)) throw new TensorError(`${op}: ${name} must be a Tensor`);
  if (x.device !== device) throw new DeviceError(`${op}: ${name} is on '${x.device}'; move the weights with .to('${device}')`);
  if (!dtypes.includes(x.dtype)) throw new DTypeError(`${op}: ${name} must be ${dtypes.join(' or ')}, got ${x.dtype}`);
  if (x.shape.length !== shape.length || x.shape.some((d, i) => d !== shape[i]))
    throw new ShapeError(`${op}: ${name} must be [${shape.join(',')}], got [${x.shape.join(',')}]`);
  return x;
}

/** A step's ids [B][T] and mask [B][T] as flat Int32Arrays, after checking their shapes. */
export function packStep(op: string, batchSize: number, ids: number[][], mask?: number[][]): [Int32Array, number, Int32Array | null] {
  if (!Array.isArray(ids) || ids.length !== batchSize)
    throw new ShapeError(`${op}: ids must have ${batchSize} rows, got ${Array.isArray(ids) ? ids.length : typeof ids}`);
  const T = ids[0]?.length ?? 0;
  if (T === 0 || ids.some((r) => r.length !== T)) throw new ShapeError(`${op}: every row of ids must have the same length T >= 1`);
  if (mask && (mask.length !== ids.length || mask.some((r) => r.length !== T))) throw new ShapeError(`${op}: mask must have the shape of ids`);
  return [Int32Array.from(ids.flat()), T, mask ? Int32Array.from(mask.flat()) : null];
}

/** A runner addon's exception as the TensorError that fits (token ids out of range: IndexError). */
export function runnerError(e: unknown): TensorError {
  if (e instanceof TensorError) return e;
  const coded = codedError('runner', e);
  if (coded) return coded;
  const msg = e instanceof Error ? e.message : String(e);
  if (/disposed/.test(msg)) return new DisposedError(msg);
  if (e instanceof RangeError) return /token id/.test(msg) ? new IndexError(msg) : new ShapeError(msg);
  if (e instanceof TypeError) return new DTypeError(msg);
  return new TensorError(msg);
}

/** Runs a call into a runner addon, re-throwing its exception as runnerError does. */
export function wrapRunner<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    throw runnerError(e);
  }
}
