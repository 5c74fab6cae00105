import { type Tensor, embedding } from '@gptj/tensor';

/** Token embedding lookup: table [V, D] (any float dtype), ids i32 [B, T] -> f32 [B, T, D]. */
export class Embedding {
  readonly numEmbeddings: number;
  readonly dim: number;

  constructor(readonly table: Tensor) {
    if (table.shape.length !== 2) throw new RangeError(`Embedding: table must be [V, D], got [${table.shape}]`);
    [this.numEmbeddings, this.dim] = table.shape as [number, number];
  }

  forward(ids: Tensor): Tensor {
    return embedding(this.table, ids);
  }

  dispose(): void {
    this.table.dispose();
  }
}
