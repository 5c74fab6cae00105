// Splitting a long list of sequences into micro-batches whose padded size is bounded, so that memory stays
// bounded whatever the list's length: sorted by length (little padding inside a batch), at most
// `maxBatch` rows and at most `tokenBudget` padded tokens (rows x longest) each, unless a single sequence is
// longer than the budget (it then runs alone).

export interface BatchLimits {
  /** Padded tokens (rows x longest row) per forward pass. */
  tokenBudget: number;
  /** Rows per forward pass. */
  maxBatch: number;
}

export const DEFAULT_LIMITS: BatchLimits = { tokenBudget: 2048, maxBatch: 32 };

/** Checks user-given limits (positive integers), filling the defaults. */
export function batchLimits(op: string, opts: { tokenBudget?: number; batchSize?: number }): BatchLimits {
  const limits = { tokenBudget: opts.tokenBudget ?? DEFAULT_LIMITS.tokenBudget, maxBatch: opts.batchSize ?? DEFAULT_LIMITS.maxBatch };
  for (const [name, v] of [
    ['tokenBudget', limits.tokenBudget],
    ['batchSize', limits.maxBatch],
  ] as const) {
    if (!Number.isInteger(v) || v < 1) throw new RangeError(`${op}: opts.${name} must be a positive integer, got ${String(v)}`);
  }
  return limits;
}

/** Indices of `lengths` grouped into micro-batches, longest sequences first (the peak comes first). */
export function microBatches(lengths: readonly number[], limits: BatchLimits): number[][] {
  const order = lengths.map((length, index) => ({ length, index })).sort((a, b) => b.length - a.length || a.index - b.index);
  const batches: number[][] = [];
  let current: number[] = [];
  let width = 0;
  for (const { length, index } of order) {
    // Sorted descending: the batch's first row is its longest, so its padded size is rows x that length.
    if (current.length && ((current.length + 1) * width > limits.tokenBudget || current.length === limits.maxBatch)) {
      batches.push(current);
      current = [];
    }
    if (!current.length) width = length;
    current.push(index);
  }
  if (current.length) batches.push(current);
  return batches;
}
