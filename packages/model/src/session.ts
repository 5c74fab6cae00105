import { DisposedError, slice } from '@gptj/tensor';
import type { KVCache } from '@gptj/layers';
import type { GPTJModel } from './gptj.js';
import { checkBatchSize, checkRows, stepMask } from './inputs.js';
import { at } from './at.js';

/**
 * What GPTJModel.createSession returns on either device: the LMSession interface @gptj/sampling drives.
 * forward appends ids [B][T] (mask [B][T]: 1 token, 0 left pad, default all 1; it accumulates over steps and
 * position ids are cumsum(mask) - 1 over everything seen, like transformers' generate) and returns the last
 * position's logits, B * vocabSize floats.
 */
export interface DecodingSession {
  readonly batchSize: number;
  readonly maxLength: number;
  /** Positions held per row, padding included. */
  readonly length: number;
  forward(ids: number[][], mask?: number[][]): Promise<Float32Array>;
  /** Beam search: new row i = old row rows[i]. */
  reorder(rows: number[]): void;
  /** Frees the KV cache. */
  dispose(): void;
}

/**
 * Incremental decoding through the layer kit over a preallocated KV cache (maxLength positions per layer and
 * row, f32, on the model's device): the CPU session, and the CUDA one where the runner does not apply.
 */
export class GPTJSession implements DecodingSession {
  private caches: KVCache[] | null;
  private mask: number[][];

  constructor(
    private readonly model: GPTJModel,
    readonly batchSize: number,
    readonly maxLength: number = model.maxLength,
  ) {
    checkBatchSize(batchSize);
    this.caches = model.newCaches(batchSize, maxLength);
    this.mask = Array.from({ length: batchSize }, () => []);
  }

  get length(): number {
    return at(this.mask, 0).length; // batchSize >= 1 rows, all the same length
  }

  async forward(ids: number[][], mask?: number[][]): Promise<Float32Array> {
    const caches = this.live();
    const { mask: newMask, t } = stepMask('GPTJSession', ids, mask, this.batchSize);
    const offset = this.length;
    if (offset + t > this.maxLength) throw new RangeError(`GPTJSession.forward: ${offset + t} positions exceed the session's maxLength of ${this.maxLength}`);
    const full = this.mask.map((row, i) => [...row, ...at(newMask, i)]);
    const h = await this.model.run(ids, full, caches, offset); // [B, T, D]
    this.mask = full;
    const last = slice(h, 1, t - 1, t); // [B, 1, D]
    h.dispose();
    const logits = await this.model.modules.lmHead.forward(last); // [B, 1, V]
    last.dispose();
    const out = logits.toFloat32Array();
    logits.dispose();
    return out;
  }

  reorder(rows: number[]): void {
    const caches = this.live();
    checkRows('GPTJSession', rows, this.batchSize);
    for (const c of caches) c.reorder(rows);
    this.mask = rows.map((r) => [...at(this.mask, r)]);
  }

  dispose(): void {
    for (const c of this.caches ?? []) c.dispose();
    this.caches = null;
  }

  private live(): KVCache[] {
    if (!this.caches) throw new DisposedError('GPTJSession has been disposed');
    return this.caches;
  }
}
