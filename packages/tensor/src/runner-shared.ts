// What the CPU and CUDA GPT-J runners share: the config and weights shapes, the checks of the weight
// tensors, the packing of a step's ids and mask, and the mapping of native errors to TensorErrors.
import type { DType, DeviceName } from './dtype.js';
import { DTypeError, DeviceError, DisposedError, IndexError, ShapeError, TensorError } from './errors.js';
import { codedError } from './native-errors.js';
import type { Tensor } from './tensor.js';

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

/** One block's weights, nn.Linear layout ([out, in]). */
export interface RunnerLayerWeights<W> {
  lnGamma: W; lnBeta: W;
  q: W; k: W; v: W; out: W;
  fcIn: W; fcInBias: W; fcOut: W; fcOutBias: W;
}

export interface RunnerWeights<W> {
  wte: W; lnfGamma: W; lnfBeta: W; lmHead: W; lmHeadBias: W;
  layers: RunnerLayerWeights<W>[];
}

/** What a weight is to a runner, which decides the dtypes it may have. */
export type RunnerWeightRole = 'embedding' | 'norm' | 'matrix' | 'bias';

/**
 * Every weight with its name, expected shape ([out, in] for matrices) and role, mapped by `f` in order
 * (wte, ln_f, lm_head, then each layer), after checking that there are config.nLayer layers.
 */
export function mapRunnerWeights<T>(op: string, config: GPTJRunnerConfig, weights: RunnerWeights<unknown>,
                                    f: (t: unknown, name: string, shape: number[], role: RunnerWeightRole) => T): RunnerWeights<T> {
  const { vocabSize: V, nEmbd: D, nInner: I, nLayer } = config;
  if (!Array.isArray(weights?.layers) || weights.layers.length !== nLayer)
    throw new ShapeError(`${op}: weights.layers has ${weights?.layers?.length} entries, config.nLayer is ${nLayer}`);
  return {
    wte: f(weights.wte, 'wte', [V, D], 'embedding'),
    lnfGamma: f(weights.lnfGamma, 'lnfGamma', [D], 'norm'),
    lnfBeta: f(weights.lnfBeta, 'lnfBeta', [D], 'norm'),
    lmHead: f(weights.lmHead, 'lmHead', [V, D], 'matrix'),
    lmHeadBias: f(weights.lmHeadBias, 'lmHeadBias', [V], 'bias'),
    layers: weights.layers.map((l, i) => ({
      lnGamma: f(l.lnGamma, `layers[${i}].lnGamma`, [D], 'norm'),
      lnBeta: f(l.lnBeta, `layers[${i}].lnBeta`, [D], 'norm'),
      q: f(l.q, `layers[${i}].q`, [D, D], 'matrix'),
      k: f(l.k, `layers[${i}].k`, [D, D], 'matrix'),
      v: f(l.v, `layers[${i}].v`, [D, D], 'matrix'),
      out: f(l.out, `layers[${i}].out`, [D, D], 'matrix'),
      fcIn: f(l.fcIn, `layers[${i}].fcIn`, [I, D], 'matrix'),
      fcInBias: f(l.fcInBias, `layers[${i}].fcInBias`, [I], 'bias'),
      fcOut: f(l.fcOut, `layers[${i}].fcOut`, [D, I], 'matrix'),
      fcOutBias: f(l.fcOutBias, `layers[${i}].fcOutBias`, [D], 'bias'),
    })),
  };
}

/** `t` as a Tensor on `device` with one of `dtypes` and exactly `shape`, or a typed error naming `name`. */
export function checkRunnerTensor(op: string, device: DeviceName, t: unknown, name: string, shape: readonly number[],
                                  dtypes: readonly DType[]): Tensor {
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
