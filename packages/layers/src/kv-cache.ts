import { type DeviceName, Tensor, concat, kvWrite, slice } from '@gptj/tensor';

/**
 * Keys and values of one attention layer, preallocated for `maxLength` positions:
 * k, v f32 [B, H, maxLength, D]. Writers fill positions [offset, offset + T); the owner tracks the length.
 */
export class KVCache {
  private kData: Tensor;
  private vData: Tensor;

  constructor(
    readonly batchSize: number,
    readonly heads: number,
    readonly maxLength: number,
    readonly headDim: number,
    device: DeviceName = 'cpu',
  ) {
    const shape = [batchSize, heads, maxLength, headDim];
    this.kData = Tensor.zeros(shape, 'f32', device);
    this.vData = Tensor.zeros(shape, 'f32', device);
  }

  get k(): Tensor {
    return this.kData;
  }
  get v(): Tensor {
    return this.vData;
  }

  /** Stores k, v f32 [B, T, H, D] at positions offset..offset+T-1. */
  write(k: Tensor, v: Tensor, offset: number): void {
    const t = k.shape[1] ?? 0; // a k that is not [B, T, H, D] is refused by kvWrite
    if (offset + t > this.maxLength) {
      throw new RangeError(`KVCache: positions ${offset}..${offset + t - 1} exceed the cache of ${this.maxLength}`);
    }
    kvWrite(this.kData, k, offset);
    kvWrite(this.vData, v, offset);
  }

  /** Beam search: new row i = old row rows[i]. */
  reorder(rows: readonly number[]): void {
    if (rows.length !== this.batchSize || rows.some((r) => !Number.isInteger(r) || r < 0 || r >= this.batchSize)) {
      throw new RangeError(`KVCache.reorder: need ${this.batchSize} row indices in [0, ${this.batchSize}), got [${rows}]`);
    }
    this.kData = gatherRows(this.kData, rows);
    this.vData = gatherRows(this.vData, rows);
  }

  dispose(): void {
    this.kData.dispose();
    this.vData.dispose();
  }
}

// x [B, ...] -> x[rows] [B, ...]; disposes x.
function gatherRows(x: Tensor, rows: readonly number[]): Tensor {
  const parts = rows.map((r) => slice(x, 0, r, r + 1));
  const out = concat(parts, 0);
  for (const p of parts) p.dispose();
  x.dispose();
  return out;
}
