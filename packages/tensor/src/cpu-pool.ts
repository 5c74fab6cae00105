// Continuous batching on the CPU (issue 14): many independent sequences over one GPT-J runner, each with
// its own length and positions, advanced together. One step takes any mix (some sequences prefilling a
// chunk of their prompt, others decoding one token) and runs it as one native job where every linear
// reads its weights once for all the step's tokens (native/cpu/gptj_pool.cpp). The KV cache is paged:
// blocks of `blockSize` tokens (default POOL_BLOCK_SIZE), taken as sequences grow and freed when they leave
// (native/cpu/paged_kv.h); the pool reports its block size, which @gptj/sampling's Scheduler reserves in.
//
//   const pool = createCpuGPTJPool(runner, { maxSequences: 8, maxTokens: 8 * 2048, kvDtype: 'f16' });
//   const a = pool.add(), b = pool.add();
//   await pool.step([{ id: a, ids: promptA }, { id: b, ids: promptB.slice(0, 64) }]); // Float32Array [2 * V]
//   await pool.step([{ id: a, ids: [next] }, { id: b, ids: promptB.slice(64) }]);
//   pool.remove(a);
import { DTypeError, DisposedError, IndexError, ShapeError, TensorError } from './errors.js';
import { cpu, type CpuRunnerNative } from './native.js';
import type { CpuGPTJRunner } from './cpu-runner.js';
import { runnerError, wrapRunner } from './runner-shared.js';

/** Tokens per KV block by default: vLLM's; a block of one 6B layer holds 16 x 4096 keys and values (512 KiB f32). */
export const POOL_BLOCK_SIZE = 16;

export interface CpuGPTJPoolOptions {
  /** sequences alive at once */
  maxSequences: number;
  /** KV capacity in tokens over all sequences, rounded up to whole blocks */
  maxTokens: number;
  /** the KV cache's dtype: 'f32' (default; the same floats as a session) or 'f16' (half the memory) */
  kvDtype?: 'f32' | 'f16';
  /** positions one sequence may hold (the model's context; default maxTokens) */
  maxLength?: number;
  /** tokens per KV block (default POOL_BLOCK_SIZE): memory is taken and freed in these units */
  blockSize?: number;
}

/** One entry of a step: the sequence and the token ids appended to it. */
export interface PoolStepEntry {
  id: number;
  ids: readonly number[];
  /**
   * Only `best` is needed for this entry, not its logits (a greedy pick from step's scan): the row is computed and
   * scanned but left out of `out` (its floats there are left as they were, but for its highest logit, stored at best's
   * id, which a greedy pick checks) unless the scan alone cannot give the pick:
   * the row holds NaN or +Infinity, no logit is above -Infinity, or best's id is in `unlessBestIn` = [start, end)
   * (ids the pick must skip; [0, 0] for none). Then the row is written, the same floats as without skipLogits. A pool
   * may write the row anyway (fewer rows than the AVX-512 lm_head GEMM's minimum, or no AVX-512). Needs `best`.
   */
  skipLogits?: { unlessBestIn: readonly [start: number, end: number] };
}

interface CpuPoolNative {
  readonly freeBlocks: number;
  readonly blockSize: number;
  add(): number;
  fork(id: number): number;
  remove(id: number): void;
  length(id: number): number;
  step(seqIds: Int32Array, counts: Int32Array, tokens: Int32Array, out?: Float32Array, best?: Int32Array, skip?: Int32Array): Promise<Float32Array>;
  dispose(): void;
}
type PoolAddon = {
  CpuGPTJPool: new (runner: CpuRunnerNative, maxSequences: number, numBlocks: number, blockSize: number, kvF16: boolean, maxLength: number) => CpuPoolNative;
};

/** A pool of up to `maxSequences` sequences and `maxTokens` KV positions over `runner`'s weights. */
export function createCpuGPTJPool(runner: CpuGPTJRunner, options: CpuGPTJPoolOptions): CpuGPTJPool {
  const op = 'createCpuGPTJPool';
  const { maxSequences, maxTokens, kvDtype = 'f32', maxLength = maxTokens, blockSize = POOL_BLOCK_SIZE } = options ?? ({} as CpuGPTJPoolOptions);
  if (!Number.isInteger(maxSequences) || maxSequences < 1 || maxSequences > 4096)
    throw new ShapeError(`${op}: maxSequences must be an integer in [1, 4096], got ${maxSequences}`);
  if (!Number.isInteger(blockSize) || blockSize < 1 || blockSize > 4096)
    throw new ShapeError(`${op}: blockSize must be an integer in [1, 4096], got ${blockSize}`);
  if (!Number.isInteger(maxTokens) || maxTokens < 1 || maxTokens > 2 ** 31 - blockSize)
    throw new ShapeError(`${op}: maxTokens must be a positive integer below 2^31, got ${maxTokens}`);
  if (!Number.isInteger(maxLength) || maxLength < 1 || maxLength > 2 ** 31 - 1)
    throw new ShapeError(`${op}: maxLength must be a positive integer below 2^31, got ${maxLength}`);
  if (kvDtype !== 'f32' && kvDtype !== 'f16') throw new DTypeError(`${op}: kvDtype must be 'f32' or 'f16', got ${String(kvDtype)}`);
  // The runner keeps its native handle private to the package; the pool is part of the package.
  const nativeRunner = (runner as unknown as { native: CpuRunnerNative }).native;
  const numBlocks = Math.ceil(maxTokens / blockSize);
  const native = wrapRunner(
    () => new (cpu as unknown as PoolAddon).CpuGPTJPool(nativeRunner, maxSequences, numBlocks, blockSize, kvDtype === 'f16', maxLength),
  );
  return new CpuGPTJPool(native, maxSequences, kvDtype, runner.config.vocabSize);
}

export class CpuGPTJPool {
  /** @internal use createCpuGPTJPool */
  constructor(
    private readonly native: CpuPoolNative,
    readonly maxSequences: number,
    readonly kvDtype: 'f32' | 'f16',
    readonly vocabSize: number,
  ) {}

  /** Tokens per KV block: a sequence of length L holds ceil(L / blockSize) blocks. */
  get blockSize(): number {
    return this.native.blockSize;
  }

  /** KV token capacity still free: free blocks times the block size. */
  get freeTokens(): number {
    return this.native.freeBlocks * this.blockSize;
  }

  /** A new empty sequence; a TensorError when maxSequences are alive. */
  add(): number {
    return call(() => this.native.add());
  }

  /** A new sequence holding a copy of `id`'s cache and positions (full blocks are shared, the last one copied). */
  fork(id: number): number {
    return call(() => this.native.fork(checkId('fork', id)));
  }

  /** Frees `id`'s blocks at once. */
  remove(id: number): void {
    call(() => this.native.remove(checkId('remove', id)));
  }

  /** Tokens held by `id`. */
  length(id: number): number {
    return call(() => this.native.length(checkId('length', id)));
  }

  /**
   * Appends each entry's ids to its sequence (positions continue it, from 0) and resolves to the logits of each
   * entry's last appended token: Float32Array [entries.length * vocabSize], in entry order. With `out` (at least that
   * many floats) the logits are written to its start and the result is a view of it: a caller stepping many rows
   * reuses one buffer instead of receiving a fresh array per step. A step that fails leaves every sequence as it was.
   * With `best` (at least 2 x entries ints) each entry's row is also scanned off the JS thread: best[2i] = the lowest
   * id of its highest logit (NaN skipped), best[2i + 1] = the first id holding NaN or +Infinity, or -1 (what greedy
   * decoding's check and pick need). An entry with `skipLogits` asks for best alone: its row of the result holds
   * whatever `out` held there unless the row was needed (PoolStepEntry.skipLogits). One step at a time; add, length
   * and freeTokens may be used meanwhile; `out` and `best` must not be read until it resolves, and after a failed step
   * (the promise rejects) `out` may hold partial logits and `best` anything.
   */
  async step(entries: readonly PoolStepEntry[], out?: Float32Array, best?: Int32Array): Promise<Float32Array> {
    const [seqIds, counts, tokens] = packEntries(entries, this.vocabSize);
    const skip = packSkips(entries);
    if (skip !== undefined && best === undefined) throw new ShapeError('CpuGPTJPool.step: an entry with skipLogits needs best (its pick comes from the scan)');
    const n = entries.length * this.vocabSize;
    if (out !== undefined && !(out instanceof Float32Array && out.length >= n))
      throw new ShapeError(`CpuGPTJPool.step: out must be a Float32Array of at least ${entries.length} x ${this.vocabSize} floats, got ${describeOut(out)}`);
    if (best !== undefined && !(best instanceof Int32Array && best.length >= 2 * entries.length))
      throw new ShapeError(`CpuGPTJPool.step: best must be an Int32Array of at least 2 x ${entries.length} ints, got ${describeOut(best)}`);
    try {
      const logits = await this.native.step(seqIds, counts, tokens, out, best, skip);
      return logits.length === n ? logits : logits.subarray(0, n);
    } catch (e) {
      throw poolError(e);
    }
  }

  /** Frees the KV cache (after the running step, if any); every later call throws a DisposedError. */
  dispose(): void {
    this.native.dispose();
  }
}

function checkId(op: string, id: number): number {
  if (!Number.isInteger(id) || id < 0 || id > 2 ** 31 - 1) throw new IndexError(`CpuGPTJPool.${op}: sequence id must be a non-negative integer, got ${id}`);
  return id;
}

function describeOut(out: unknown): string {
  if (out instanceof Float32Array) return `${out.length} floats`;
  return out instanceof Int32Array ? `${out.length} ints` : Object.prototype.toString.call(out);
}

/** A step's entries as flat Int32Arrays: sequence ids [E], token counts [E], tokens [sum of counts]. */
function packEntries(entries: readonly PoolStepEntry[], vocabSize: number): [Int32Array, Int32Array, Int32Array] {
  const op = 'CpuGPTJPool.step';
  if (!Array.isArray(entries) || entries.length === 0) throw new ShapeError(`${op}: entries must be a non-empty array of { id, ids }`);
  const seqIds = new Int32Array(entries.length),
    counts = new Int32Array(entries.length);
  let n = 0;
  entries.forEach((e, i) => {
    if (!Array.isArray(e?.ids) || e.ids.length === 0) throw new ShapeError(`${op}: entries[${i}].ids must be a non-empty array of token ids`);
    seqIds[i] = checkId('step', e.id);
    counts[i] = e.ids.length;
    n += e.ids.length;
  });
  const tokens = new Int32Array(n);
  let at = 0;
  entries.forEach((e, i) => {
    for (const t of e.ids) {
      if (!Number.isInteger(t) || t < 0 || t >= vocabSize) throw new IndexError(`${op}: entries[${i}].ids holds token id ${t}, outside [0, ${vocabSize})`);
      tokens[at++] = t;
    }
  });
  return [seqIds, counts, tokens];
}

/** Each entry's skipLogits as [start, end) pairs, -1 for an entry whose logits are wanted; undefined when none skips. */
function packSkips(entries: readonly PoolStepEntry[]): Int32Array | undefined {
  if (!entries.some((e) => e.skipLogits !== undefined)) return undefined;
  const skip = new Int32Array(2 * entries.length).fill(-1);
  entries.forEach((e, i) => {
    if (e.skipLogits === undefined) return;
    const range: unknown = e.skipLogits?.unlessBestIn;
    const [start, end] = Array.isArray(range) && range.length === 2 ? (range as number[]) : [NaN, NaN];
    if (!(Number.isInteger(start) && Number.isInteger(end) && start! >= 0 && end! >= start! && end! <= 2 ** 31 - 1))
      throw new ShapeError(
        `CpuGPTJPool.step: entries[${i}].skipLogits must be { unlessBestIn: [start, end] } with integers 0 <= start <= end < 2^31, got ${describeSkip(e.skipLogits)}`,
      );
    skip[2 * i] = start!;
    skip[2 * i + 1] = end!;
  });
  return skip;
}

function describeSkip(v: unknown): string {
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return Object.prototype.toString.call(v);
  }
}

/** The addon's error as a TensorError: unknown or repeated sequence ids and bad token ids are IndexErrors. */
function poolError(e: unknown): TensorError {
  if (e instanceof RangeError && /sequence id|token id/.test(e.message)) return new IndexError(e.message);
  if (e instanceof Error && /disposed/.test(e.message)) return new DisposedError(e.message);
  if (e instanceof RangeError) return new TensorError(e.message); // capacity: sequences or KV blocks
  return runnerError(e);
}

function call<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    throw poolError(e);
  }
}
