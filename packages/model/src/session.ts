import { slice } from '@gptj/tensor';
import type { KVCache } from '@gptj/layers';
import type { GPTJModel } from './gptj.js';

/**
 * Incremental decoding over a preallocated KV cache (maxLength positions per layer and row). Implements the
 * LMSession interface @gptj/sampling drives: forward appends tokens and returns the last position's logits.
 */
export class GPTJSession {
  private caches: KVCache[] | null;
  private mask: number[][];

  constructor(private readonly model: GPTJModel, readonly batchSize: number) {
    if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError(`createSession: batch size must be a positive integer, got ${batchSize}`);
    this.caches = model.newCaches(batchSize, model.maxLength);
    this.mask = Array.from({ length: batchSize }, () => []);
  }

  /** Positions held per row, padding included. */
  get length(): number {
    return this.mask[0].length;
  }

  /** Appends ids [B][T] (mask [B][T], default all 1) and returns the last position's logits, B * vocabSize floats. */
  async forward(ids: number[][], mask?: number[][]): Promise<Float32Array> {
    const caches = this.live();
    if (ids.length !== this.batchSize) throw new RangeError(`GPTJSession.forward: expected ${this.batchSize} rows of ids, got ${ids.length}`);
    const t = ids[0].length;
    if (t === 0) throw new RangeError('GPTJSession.forward: no ids to append');
    const newMask = mask ?? ids.map((row) => row.map(() => 1));
    if (newMask.length !== this.batchSize || newMask.some((r) => r.length !== t)) {
      throw new RangeError(`GPTJSession.forward: mask must be [${this.batchSize}][${t}] like the ids`);
    }
    const offset = this.length;
    const full = this.mask.map((row, i) => [...row, ...newMask[i]]);
    const h = await this.model.run(ids, full, caches, offset);  // [B, T, D]
    this.mask = full;
    const last = slice(h, 1, t - 1, t);                          // [B, 1, D]
    h.dispose();
    const logits = await this.model.weights.lmHead.forward(last); // [B, 1, V]
    last.dispose();
    const out = logits.toFloat32Array();
    logits.dispose();
    return out;
  }

  /** Beam search: new row i = old row rows[i], for the caches and the mask. */
  reorder(rows: number[]): void {
    for (const c of this.live()) c.reorder(rows);
    this.mask = rows.map((r) => [...this.mask[r]]);
  }

  dispose(): void {
    for (const c of this.caches ?? []) c.dispose();
    this.caches = null;
  }

  private live(): KVCache[] {
    if (!this.caches) throw new Error('GPTJSession has been disposed');
    return this.caches;
  }
}
