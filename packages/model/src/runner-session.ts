import type { GPTJRunnerSession } from '@gptj/tensor';
import type { DecodingSession } from './session.js';
import { checkRows, checkTokenIds, stepMask } from './inputs.js';

/**
 * A decoding session on CUDA backed by the GPT-J runner: the KV cache (f16, bf16 for bf16 weights) and the
 * activations live on the GPU, and each forward is one native call (decode steps replayed as a CUDA graph).
 * Same semantics as the CPU GPTJSession: the mask accumulates over every step, position ids are
 * cumsum(mask) - 1 over everything seen (the runner keeps the counters), reorder moves cache, mask and
 * counters together, dispose frees the GPU memory.
 */
export class CudaSession implements DecodingSession {
  private native: GPTJRunnerSession | null;

  constructor(native: GPTJRunnerSession, readonly batchSize: number, readonly maxLength: number, private readonly vocabSize: number) {
    this.native = native;
  }

  /** Positions held per row, padding included. */
  get length(): number {
    return this.native?.length ?? 0;
  }

  /** Appends ids [B][T] (mask [B][T], default all 1) and returns the last position's logits, B * vocabSize floats. */
  async forward(ids: number[][], mask?: number[][]): Promise<Float32Array> {
    const native = this.live();
    const m = stepMask(ids, mask, this.batchSize);
    checkTokenIds(ids, this.vocabSize);
    const end = native.length + ids[0].length;
    if (end > this.maxLength) throw new RangeError(`GPTJModel: ${end} positions exceed the session's maxLength of ${this.maxLength}`);
    return native.forward(ids, m);
  }

  /** Beam search: new row i = old row rows[i] (KV cache, mask, position counters). */
  reorder(rows: number[]): void {
    const native = this.live();
    checkRows(rows, this.batchSize);
    native.reorder(rows);
  }

  dispose(): void {
    this.native?.dispose();
    this.native = null;
  }

  private live(): GPTJRunnerSession {
    if (!this.native) throw new Error('GPTJSession has been disposed');
    return this.native;
  }
}
