// Checks of what callers pass to forward/sessions, shared by the CPU and CUDA paths so both reject the
// same input with the same RangeError. `who` is the class that was called (GPTJModel, GPTJSession, RunnerSession).

/** Every id an integer in [0, vocabSize). */
export function checkTokenIds(who: string, ids: readonly (readonly number[])[], vocabSize: number): void {
  for (const row of ids)
    for (const id of row) {
      if (!Number.isInteger(id) || id < 0 || id >= vocabSize) throw new RangeError(`${who}: token id ${id} is outside [0, ${vocabSize})`);
    }
}

/**
 * A session step: ids [batchSize][T] with T >= 1 the same in every row, mask [batchSize][T] of 0/1
 * (default all 1). Returns the mask.
 */
export function stepMask(who: string, ids: readonly (readonly number[])[], mask: readonly (readonly number[])[] | undefined, batchSize: number): number[][] {
  if (!Array.isArray(ids) || ids.length !== batchSize) {
    throw new RangeError(`${who}.forward: expected ${batchSize} rows of ids, got ${Array.isArray(ids) ? ids.length : typeof ids}`);
  }
  const t = ids[0].length;
  if (t === 0) throw new RangeError(`${who}.forward: no ids to append`);
  if (ids.some((row) => row.length !== t)) throw new RangeError(`${who}.forward: every row of ids must have the same length`);
  const m = mask ? mask.map((row) => [...row]) : ids.map((row) => row.map(() => 1));
  if (m.length !== batchSize || m.some((r) => r.length !== t)) {
    throw new RangeError(`${who}.forward: mask must be [${batchSize}][${t}] like the ids`);
  }
  for (const row of m) for (const v of row) if (v !== 0 && v !== 1) throw new RangeError(`${who}.forward: attention mask values must be 0 or 1, got ${v}`);
  return m;
}

/** Beam-search rows: batchSize indices in [0, batchSize). */
export function checkRows(who: string, rows: readonly number[], batchSize: number): void {
  if (!Array.isArray(rows) || rows.length !== batchSize || rows.some((r) => !Number.isInteger(r) || r < 0 || r >= batchSize)) {
    throw new RangeError(`${who}.reorder: need ${batchSize} row indices in [0, ${batchSize}), got [${String(rows)}]`);
  }
}

export function checkBatchSize(batchSize: number): void {
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError(`createSession: batch size must be a positive integer, got ${batchSize}`);
}
