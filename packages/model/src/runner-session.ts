import { DisposedError } from '@gptj/tensor';
import type { DecodingSession } from './session.js';
import { checkRows, checkTokenIds, stepMask } from './inputs.js';

/** What RunnerSession drives: @gptj/tensor's CudaGPTJRunnerSession (CUDA) or CpuGPTJRunnerSession. */
export interface NativeRunnerSession {
  readonly length: number;
  forward(ids: number[][], mask: number[][]): Float32Array | Promise<Float32Array>;
  reorder(rows: number[]): void;
  dispose(): void;
}

/**
 * A decoding session backed by a GPT-J runner of @gptj/tensor, where each forward is one native call.
 * On the CPU the step runs on a libuv worker with an f32 KV cache; on CUDA the KV cache (f16, bf16 for
 * bf16 weights) and the activations live on the GPU and decode steps replay a CUDA graph.
 * Same semantics as GPTJSession (the layer kit): the mask accumulates over every step, position ids are
 * cumsum(mask) - 1 over everything seen (the runner keeps the counters), reorder moves cache, mask and
 * counters together, dispose frees the cache.
 */
export class RunnerSession implements DecodingSession {
  private native: NativeRunnerSession | null;

  constructor(
    native: NativeRunnerSession,
    readonly batchSize: number,
    readonly maxLength: number,
    private readonly vocabSize: number,
  ) {
    this.native = native;
  }

  /** Positions held per row, padding included. */
  get length(): number {
    return this.native?.length ?? 0;
  }

  /** Appends ids [B][T] (mask [B][T], default all 1) and returns the last position's logits, B * vocabSize floats. */
  async forward(ids: number[][], mask?: number[][]): Promise<Float32Array> {
    const native = this.live();
    const { mask: m, t } = stepMask('RunnerSession', ids, mask, this.batchSize);
    checkTokenIds('RunnerSession', ids, this.vocabSize);
    const end = native.length + t;
    if (end > this.maxLength) throw new RangeError(`RunnerSession.forward: ${end} positions exceed the session's maxLength of ${this.maxLength}`);
    return native.forward(ids, m);
  }

  /** Beam search: new row i = old row rows[i] (KV cache, mask, position counters). */
  reorder(rows: number[]): void {
    const native = this.live();
    checkRows('RunnerSession', rows, this.batchSize);
    native.reorder(rows);
  }

  dispose(): void {
    this.native?.dispose();
    this.native = null;
  }

  private live(): NativeRunnerSession {
    if (!this.native) throw new DisposedError('RunnerSession has been disposed');
    return this.native;
  }
}
