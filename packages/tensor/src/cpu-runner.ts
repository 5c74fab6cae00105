// The GPT-J fast path on the CPU: each forward step (all layers, ln_f, lm_head) is one native job on a
// libuv worker (native/cpu/gptj_runner.cpp), so a step costs one event-loop round trip instead of one
// per op. It computes exactly what the layer kit computes with the per-op backend, with the same
// kernels: the weights are read where they are (mmap'ed checkpoints included), f32 activations and
// KV cache. @gptj/model uses it for CPU sessions.
//
//   const runner = createCpuGPTJRunner(config, weights);  // weights: CPU Tensors
//   const s = runner.createSession(batchSize, maxLength);  // KV cache for batchSize rows
//   const logits = await s.forward([[...promptIds]]);      // Float32Array [B * vocabSize], last position
//   const states = await s2.forwardHidden(ids, mask);      // Float32Array [B * T * nEmbd] after ln_f, no lm_head
import { DTYPE_CODE, type DType } from './dtype.js';
import { DTypeError, TensorError } from './errors.js';
import { cpu, type CpuRunnerNative, type CpuSessionNative, type NativeStorage } from './native.js';
import { type RunnerWeights, mapRunnerWeights } from './gptj-weights.js';
import { type GPTJRunnerConfig, checkRunnerTensor, packStep, runnerError, wrapRunner } from './runner-shared.js';
import { RUNNER_MATRIX_DTYPES, gptjRunnerUnsupported } from './runner-support.js';
import type { Tensor } from './tensor.js';

const op = 'createCpuGPTJRunner';
const MATRIX = RUNNER_MATRIX_DTYPES.cpu;
const EMBEDDING = MATRIX.filter((d) => d !== 'q4'); // embedding_rows gathers rows of every matrix dtype but q4
const VECTOR: readonly DType[] = ['f32', 'f16', 'bf16'];

/** Builds a runner over CPU weight tensors. Disposing a weight later makes the next step throw. */
export function createCpuGPTJRunner(config: GPTJRunnerConfig, weights: RunnerWeights<Tensor>): CpuGPTJRunner {
  const unsupported = gptjRunnerUnsupported('cpu', config);
  if (unsupported) throw new TensorError(`${op}: ${unsupported}`);
  const native = mapRunnerWeights(op, config, weights, (t, spec) => {
    const x = checkRunnerTensor(op, 'cpu', t, spec, spec.role === 'matrix' ? MATRIX : spec.role === 'embedding' ? EMBEDDING : VECTOR);
    return { storage: x.storage as NativeStorage, dtype: DTYPE_CODE[x.dtype] };
  });
  const nativeConfig = { ...config, ropeBase: config.ropeBase ?? 10000, geluTanh: (config.activation ?? 'gelu_new') === 'gelu_new' };
  return new CpuGPTJRunner(
    wrapRunner(() => new cpu.CpuGPTJRunner(nativeConfig, native)),
    config,
  );
}

export class CpuGPTJRunner {
  #disposed = false;
  /** @internal use createCpuGPTJRunner */
  constructor(
    private readonly native: CpuRunnerNative,
    readonly config: GPTJRunnerConfig,
  ) {}

  /** A KV cache (f32) for `batchSize` rows of up to `maxLength` positions. */
  createSession(batchSize: number, maxLength: number): CpuGPTJRunnerSession {
    if (this.#disposed) throw new TensorError('CpuGPTJRunner.createSession: the runner was disposed');
    const native = wrapRunner(() => new cpu.CpuGPTJSession(this.native, batchSize, maxLength));
    return new CpuGPTJRunnerSession(native, batchSize);
  }

  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    this.native.dispose();
  }
}

export class CpuGPTJRunnerSession {
  /** @internal */
  constructor(
    private readonly native: CpuSessionNative,
    readonly batchSize: number,
  ) {}

  /** Positions held in the KV cache per row (padding included). */
  get length(): number {
    return this.native.length;
  }

  /**
   * Appends ids [B][T] (mask [B][T]: 1 real, 0 left pad; positions follow HF, cumsum(mask) - 1) and
   * resolves to the logits of the last appended position of each row: Float32Array [B * vocabSize].
   * One step at a time: await it before the next forward or reorder.
   */
  async forward(ids: number[][], mask?: number[][]): Promise<Float32Array> {
    return this.step('CpuGPTJRunnerSession.forward', ids, mask, false);
  }

  /**
   * Like forward, but resolves to the final hidden states (after ln_f, transformers' last_hidden_state) of every
   * appended position, Float32Array [B * T * nEmbd], and skips lm_head: the fast path for features/embeddings.
   */
  async forwardHidden(ids: number[][], mask?: number[][]): Promise<Float32Array> {
    return this.step('CpuGPTJRunnerSession.forwardHidden', ids, mask, true);
  }

  private async step(op: string, ids: number[][], mask: number[][] | undefined, hidden: boolean): Promise<Float32Array> {
    const [flat, T, m] = packStep(op, this.batchSize, ids, mask);
    try {
      return await this.native.forward(flat, T, m, hidden);
    } catch (e) {
      throw runnerError(e);
    }
  }

  /** Beam search: new row i = old row rows[i] (KV cache, mask, positions). */
  reorder(rows: readonly number[]): void {
    if (!Array.isArray(rows)) throw new DTypeError('CpuGPTJRunnerSession.reorder: rows must be an array of row indices');
    wrapRunner(() => this.native.reorder(Int32Array.from(rows)));
  }

  dispose(): void {
    this.native.dispose();
  }
}
