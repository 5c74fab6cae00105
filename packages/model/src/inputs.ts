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
 * (default all 1). Returns the mask and T.
 */
export function stepMask(
  who: string,
  ids: readonly (readonly number[])[],
  mask: readonly (readonly number[])[] | undefined,
  batchSize: number,
): { mask: number[][]; t: number } {
  if (!Array.isArray(ids) || ids.length !== batchSize) {
    throw new RangeError(`${who}.forward: expected ${batchSize} rows of ids, got ${Array.isArray(ids) ? ids.length : typeof ids}`);
  }
  const rows = arrayRows(`${who}.forward`, 'ids', ids);
  const t = rows[0]?.length;
  if (!t) throw new RangeError(`${who}.forward: no ids to append`);
  if (rows.some((row) => row.length !== t)) throw new RangeError(`${who}.forward: every row of ids must have the same length`);
  const m = mask ? arrayRows(`${who}.forward`, 'mask', mask).map((row) => [...row]) : rows.map((row) => row.map(() => 1));
  if (m.length !== batchSize || m.some((r) => r.length !== t)) {
    throw new RangeError(`${who}.forward: mask must be [${batchSize}][${t}] like the ids`);
  }
  for (const row of m) for (const v of row) if (v !== 0 && v !== 1) throw new RangeError(`${who}.forward: attention mask values must be 0 or 1, got ${v}`);
  return { mask: m, t };
}

/**
 * `rows` once every row is checked to be an array (a JS caller may pass a number or leave a hole), typed as what
 * it was declared: `Array.isArray` narrows to any[], which would hide an unchecked `rows[0]` from the compiler.
 * `where` starts the message (GPTJModel, RunnerSession.forward...).
 */
export function arrayRows<T>(where: string, what: string, rows: readonly (readonly T[])[]): readonly (readonly T[])[] {
  if (!Array.isArray(rows)) throw new RangeError(`${where}: the ${what} must be an array of rows, got ${typeof rows}`);
  for (let i = 0; i < rows.length; i++) {
    if (!Array.isArray(rows[i])) throw new RangeError(`${where}: row ${i} of the ${what} is not an array`);
  }
  return rows;
}

/** Beam-search rows: batchSize indices in [0, batchSize). */
export function checkRows(who: string, rows: readonly number[], batchSize: number): void {
  // [...rows]: a hole becomes undefined and fails the check (some() alone skips holes)
  if (!Array.isArray(rows) || rows.length !== batchSize || [...rows].some((r) => !Number.isInteger(r) || r < 0 || r >= batchSize)) {
    throw new RangeError(`${who}.reorder: need ${batchSize} row indices in [0, ${batchSize}), got [${String(rows)}]`);
  }
}

export function checkBatchSize(batchSize: number): void {
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError(`createSession: batch size must be a positive integer, got ${batchSize}`);
}
