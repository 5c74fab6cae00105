// The GPT-J fast path on CUDA: one native call per forward step (all layers), decode steps replayed
// as a captured CUDA graph, the KV cache on the device, and greedy steps that copy back 4 bytes per
// row. Steps are asynchronous: the main thread enqueues, a libuv worker waits for the GPU. @gptj/model uses it when device === 'cuda'; the per-op backend stays the reference path.
//
//   const runner = createCudaGPTJRunner(config, weights);  // weights: Tensors already on 'cuda'
//   const s = runner.createSession(batchSize, maxLength);  // KV cache for batchSize rows
//   const logits = await s.forward([[...promptIds]]);      // Float32Array [B * vocabSize], last position
//   const next = await s.forwardArgmax([[id]]);            // Int32Array [B]
//   const states = await s.forwardHidden(ids, mask);       // Float32Array [B * T * nEmbd] after ln_f, no lm_head
//
// Numerics (documented in README): residual stream f32; matmul inputs and the KV cache f16 (bf16
// for bf16 weights); f32 accumulation everywhere; q8 weights are int8 with per-row f32 scales.
import { DTYPE_CODE, type DType } from '../dtype.js';
import { DTypeError, DeviceError, DisposedError, TensorError } from '../errors.js';
import { type GPTJWeightRole, type RunnerLayerWeights, type RunnerWeights, mapRunnerWeights } from '../gptj-weights.js';
import { type GPTJRunnerConfig, checkRunnerTensor, packStep, runnerError, wrapRunner } from '../runner-shared.js';
import { RUNNER_MATRIX_DTYPES, gptjRunnerUnsupported } from '../runner-support.js';
import type { Tensor } from '../tensor.js';
import { loadCudaAddon, type DeviceStorage, type NativeRunner, type NativeSession } from './addon.js';

/** One block's tensors, nn.Linear layout ([out, in]); biases f32. */
export type GPTJRunnerLayerWeights = RunnerLayerWeights<Tensor>;
export type GPTJRunnerWeights = RunnerWeights<Tensor>;
export type { GPTJRunnerConfig };

const op = 'createCudaGPTJRunner';

const dev = (t: Tensor): DeviceStorage => t.storage as DeviceStorage;

/** Builds a runner over device weights (they must stay alive until runner.dispose()). */
export function createCudaGPTJRunner(config: GPTJRunnerConfig, weights: GPTJRunnerWeights): CudaGPTJRunner {
  const load = loadCudaAddon();
  if (!load.addon) throw new DeviceError(`${op}: CUDA is not available: ${load.reason}`);
  const wdt = weights.layers[0]?.q?.dtype;
  if (!wdt || !RUNNER_MATRIX_DTYPES.cuda.includes(wdt))
    throw new DTypeError(`${op}: weight matrices must be ${RUNNER_MATRIX_DTYPES.cuda.join(' or ')}, got ${String(wdt)}`);
  const unsupported = gptjRunnerUnsupported('cuda', config, wdt);
  if (unsupported) throw new TensorError(`${op}: ${unsupported}`);
  const lnDt = weights.lnfGamma?.dtype;
  const lnTypes: DType[] = lnDt && ['f32', 'f16', 'bf16'].includes(lnDt) ? [lnDt] : ['f32', 'f16', 'bf16'];
  const dtypes: Record<GPTJWeightRole, readonly DType[]> = {
    embedding: ['f32', 'f16', 'bf16', 'q8'],
    norm: lnTypes,
    matrix: [wdt],
    bias: ['f32'],
  };
  const native = mapRunnerWeights(op, config, weights, (t, spec) => dev(checkRunnerTensor(op, 'cuda', t, spec, dtypes[spec.role])));
  const nativeConfig = {
    ...config,
    weightDtype: DTYPE_CODE[wdt],
    lnDtype: DTYPE_CODE[lnTypes[0]],
    wteDtype: DTYPE_CODE[weights.wte.dtype], // checked by mapRunnerWeights
  };
  const addon = load.addon;
  const runner = wrapRunner(() => new addon.GPTJRunner(nativeConfig, native));
  return new CudaGPTJRunner(runner, config, (b, t) => wrapRunner(() => new addon.GPTJSession(runner, b, t)));
}

export class CudaGPTJRunner {
  #disposed = false;
  /** @internal use createCudaGPTJRunner */
  constructor(
    private readonly native: NativeRunner,
    readonly config: GPTJRunnerConfig,
    private readonly newSession: (batchSize: number, maxLength: number) => NativeSession,
  ) {}

  /** A KV cache (and activations) for `batchSize` rows of up to `maxLength` positions. */
  createSession(batchSize: number, maxLength: number): CudaGPTJRunnerSession {
    if (this.#disposed) throw new TensorError('CudaGPTJRunner.createSession: the runner was disposed');
    return new CudaGPTJRunnerSession(this.newSession(batchSize, maxLength), batchSize, this.config.vocabSize, this.config.nEmbd);
  }

  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    this.native.dispose();
  }
}

export class CudaGPTJRunnerSession {
  #disposed = false;
  /** @internal */
  constructor(
    private readonly native: NativeSession,
    readonly batchSize: number,
    readonly vocabSize: number,
    readonly nEmbd: number,
  ) {}

  /** Positions held in the KV cache per row (padding included). */
  get length(): number {
    return this.native.length;
  }

  /**
   * Appends ids [B][T] (mask [B][T]: 1 real, 0 left pad; positions follow HF, cumsum(mask) - 1)
   * and resolves to the logits of the last appended position of each row: Float32Array [B * vocabSize].
   * The main thread only enqueues the step; the GPU work is awaited off it. One step at a time:
   * await it before the next forward or reorder.
   */
  async forward(ids: number[][], mask?: number[][]): Promise<Float32Array> {
    const out = new Float32Array(this.batchSize * this.vocabSize);
    await this.forwardInto(...this.pack('forward', ids, mask), out);
    return out;
  }

  /** Same as forward, but resolves to only the argmax of each row (4 bytes per row leave the GPU). */
  async forwardArgmax(ids: number[][], mask?: number[][]): Promise<Int32Array> {
    const out = new Int32Array(this.batchSize);
    await this.forwardInto(...this.pack('forwardArgmax', ids, mask), out);
    return out;
  }

  /**
   * Like forward, but resolves to the final hidden states (after ln_f, transformers' last_hidden_state) of every
   * appended position, Float32Array [B * T * nEmbd] in f32, and skips lm_head: the fast path for features/embeddings.
   * The step appends to the KV cache like forward; it is never replayed from the decode graph.
   */
  async forwardHidden(ids: number[][], mask?: number[][]): Promise<Float32Array> {
    const [flat, T, m] = this.pack('forwardHidden', ids, mask);
    const out = new Float32Array(this.batchSize * T * this.nEmbd);
    await this.settle('forwardHidden', () => this.native.forwardHidden(flat, T, m, out));
    return out;
  }

  /** Allocation-free form: ids/mask flat [B*T]; `out` is Float32Array [B*V] (logits) or Int32Array [B] (argmax). */
  async forwardInto(ids: Int32Array, T: number, mask: Int32Array | null, out: Float32Array | Int32Array): Promise<void> {
    await this.settle('forward', () => this.native.forward(ids, T, mask, out));
  }

  /** Beam search: new row i = old row rows[i] (KV cache, mask, positions). */
  reorder(rows: readonly number[]): void {
    this.live('reorder');
    wrapRunner(() => this.native.reorder(Int32Array.from(rows)));
  }

  dispose(): void {
    this.#disposed = true;
    this.native.dispose();
  }

  // The native session would name itself GPTJSession; misuse names this class.
  private live(method: string): void {
    if (this.#disposed) throw new DisposedError(`CudaGPTJRunnerSession.${method}: the session was disposed`);
  }

  /** Runs a native step of the live session; its failure as the TensorError that fits. */
  private async settle(method: string, step: () => Promise<void>): Promise<void> {
    this.live(method);
    try {
      await step();
    } catch (e) {
      throw runnerError(e);
    }
  }

  private pack(method: string, ids: number[][], mask?: number[][]): [Int32Array, number, Int32Array | null] {
    return packStep(`CudaGPTJRunnerSession.${method}`, this.batchSize, ids, mask);
  }
}

/** @deprecated renamed createCudaGPTJRunner, beside createCpuGPTJRunner */
export const createGPTJRunner = createCudaGPTJRunner;
/** @deprecated renamed CudaGPTJRunner, beside CpuGPTJRunner */
export const GPTJRunner = CudaGPTJRunner;
/** @deprecated renamed CudaGPTJRunner, beside CpuGPTJRunner */
export type GPTJRunner = CudaGPTJRunner;
/** @deprecated renamed CudaGPTJRunnerSession, beside CpuGPTJRunnerSession */
export const GPTJRunnerSession = CudaGPTJRunnerSession;
/** @deprecated renamed CudaGPTJRunnerSession, beside CpuGPTJRunnerSession */
export type GPTJRunnerSession = CudaGPTJRunnerSession;
