// CpuGPTJPool.step's `out` and `best`: the logits written into a caller's buffer equal a step's own fresh array, each
// row's scan equals a plain scan of those logits, and a buffer too small or of another type is a ShapeError before
// anything runs (a refused step leaves the sequences as they were).
import { afterAll, describe, expect, it } from 'vitest';
import { ShapeError, Tensor } from './index.js';
import { createCpuGPTJPool, createCpuGPTJRunner } from './runner.js';
import type { GPTJRunnerConfig } from './runner-shared.js';
import { randomRunnerWeights } from './test-support/index.js';

const cfg: GPTJRunnerConfig = { vocabSize: 50, nEmbd: 32, nLayer: 2, nHead: 4, nInner: 64, rotaryDim: 4, layerNormEpsilon: 1e-5 };
const V = cfg.vocabSize;

const disposables: { dispose(): void }[] = [];
afterAll(() => disposables.forEach((d) => d.dispose()));

/** Two pools over one runner, sequences a and b in each, fed the same steps. */
function twins() {
  const runner = createCpuGPTJRunner(cfg, randomRunnerWeights(cfg, 'f32', 1414));
  const pools = [0, 1].map(() => createCpuGPTJPool(runner, { maxSequences: 4, maxTokens: 256 }));
  disposables.push(runner, ...pools);
  return pools.map((pool) => ({ pool, a: pool.add(), b: pool.add() }));
}

describe('CpuGPTJPool.step into a caller buffer', () => {
  it('writes the same logits as a fresh array, at the start of out, and returns a view of exactly entries x V', async () => {
    const [x, y] = twins();
    const out = new Float32Array(4 * V).fill(7);
    for (const ids of [[1, 2, 3], [4], [5]]) {
      const mine = await x!.pool.step(
        [
          { id: x!.a, ids },
          { id: x!.b, ids: [9] },
        ],
        out,
      );
      const fresh = await y!.pool.step([
        { id: y!.a, ids },
        { id: y!.b, ids: [9] },
      ]);
      expect(mine.buffer).toBe(out.buffer);
      expect(mine.length).toBe(2 * V);
      expect(mine).toEqual(fresh);
    }
    expect(out.subarray(2 * V).every((v) => v === 7)).toBe(true); // past the step's logits: untouched
  });

  it("20 entries (the small-K GEMM writes into out itself): a reused out, NaN-filled first, holds the fresh arrays' logits", async () => {
    const runner = createCpuGPTJRunner(cfg, randomRunnerWeights(cfg, 'f32', 1415));
    const pools = [0, 1].map(() => createCpuGPTJPool(runner, { maxSequences: 20, maxTokens: 512 }));
    disposables.push(runner, ...pools);
    const ids = pools.map((pool) => Array.from({ length: 20 }, () => pool.add()));
    const out = new Float32Array(20 * V).fill(Number.NaN);
    for (let step = 0; step < 3; step++) {
      const entries = (p: number) => ids[p]!.map((id, i) => ({ id, ids: step === 0 ? [i, 7, 9] : [(i * 3 + step) % V] }));
      const mine = await pools[0]!.step(entries(0), out);
      expect(mine.buffer).toBe(out.buffer);
      expect(mine).toEqual(await pools[1]!.step(entries(1)));
    }
  });

  it('best holds, per entry, the lowest id of its highest logit and -1 (all finite), as a plain scan of the logits', async () => {
    const [x] = twins();
    const best = new Int32Array(6).fill(-7);
    for (const ids of [[1, 2, 3], [4], [5]]) {
      const logits = await x!.pool.step(
        [
          { id: x!.a, ids },
          { id: x!.b, ids: [9] },
        ],
        undefined,
        best,
      );
      for (const e of [0, 1]) {
        const row = Array.from(logits.subarray(e * V, (e + 1) * V));
        expect([best[2 * e], best[2 * e + 1]]).toEqual([row.indexOf(Math.max(...row)), -1]);
      }
      expect(best.subarray(4)).toEqual(Int32Array.from([-7, -7]));
    }
    await expect(x!.pool.step([{ id: x!.a, ids: [1] }], undefined, new Int32Array(1))).rejects.toThrow(
      /best must be an Int32Array of at least 2 x 1 ints, got 1 ints/,
    );
  });

  it('best across 64-logit blocks: ties to the lowest id, a later strictly higher block wins, the first NaN/+Infinity', async () => {
    const wide: GPTJRunnerConfig = { ...cfg, vocabSize: 200 };
    /** The scan of one step whose logits are the model's plus `bias` (huge values dominate, NaN and Infinity pass through). */
    async function scanWith(bias: Record<number, number>): Promise<[number, number]> {
      const b = new Float32Array(200);
      for (const [id, v] of Object.entries(bias)) b[Number(id)] = v;
      const runner = createCpuGPTJRunner(wide, { ...randomRunnerWeights(wide, 'f32', 77), lmHeadBias: Tensor.fromArray(b, [200]) });
      const pool = createCpuGPTJPool(runner, { maxSequences: 1, maxTokens: 16 });
      disposables.push(runner, pool);
      const best = new Int32Array(2);
      await pool.step([{ id: pool.add(), ids: [1, 2] }], undefined, best);
      return [best[0], best[1]];
    }
    expect(await scanWith({ 100: 1e30, 150: 1e30 })).toEqual([100, -1]);
    expect(await scanWith({ 100: 1e30, 150: 2e30 })).toEqual([150, -1]);
    expect(await scanWith({ 3: 1e30, 63: 1e30, 64: 1e30 })).toEqual([3, -1]);
    expect((await scanWith({ 170: Number.NaN, 190: Infinity }))[1]).toBe(170);
    expect((await scanWith({ 20: Infinity, 170: Number.NaN }))[1]).toBe(20);
    expect((await scanWith({ 199: Number.NaN }))[1]).toBe(199);
  });

  // From 17 entries on AVX-512 the small-K GEMM scans each 256-column task's logits as it makes them and merges the
  // tasks (gemm_small_k_avx512.cpp); one entry takes the scan of the finished rows. Both must give these answers.
  it('best of 1 and of 20 entries over 600 logits (3 GEMM tasks): ties, a later higher task, NaN/+Infinity, all -Infinity', async () => {
    const wide: GPTJRunnerConfig = { ...cfg, vocabSize: 600 };
    /** Each entry's scan of one step whose logits are the model's plus `bias` (`rest` for ids not named). */
    async function scanWith(entries: number, bias: Record<number, number>, rest = 0): Promise<number[][]> {
      const b = new Float32Array(600).fill(rest);
      for (const [id, v] of Object.entries(bias)) b[Number(id)] = v;
      const runner = createCpuGPTJRunner(wide, { ...randomRunnerWeights(wide, 'f32', 78), lmHeadBias: Tensor.fromArray(b, [600]) });
      const pool = createCpuGPTJPool(runner, { maxSequences: entries, maxTokens: 512 });
      disposables.push(runner, pool);
      const best = new Int32Array(2 * entries);
      await pool.step(
        Array.from({ length: entries }, (_, i) => ({ id: pool.add(), ids: [i, 2] })),
        undefined,
        best,
      );
      return Array.from({ length: entries }, (_, e) => [best[2 * e]!, best[2 * e + 1]!]);
    }
    const cases: [Record<number, number>, number, number[]][] = [
      [{ 100: 1e30, 300: 1e30 }, 0, [100, -1]],
      [{ 100: 1e30, 300: 2e30 }, 0, [300, -1]],
      [{ 255: 1e30, 256: 1e30 }, 0, [255, -1]],
      [{ 599: 1e30 }, 0, [599, -1]],
      [{ 20: Infinity, 500: Number.NaN }, 0, [20, 20]],
      [{ 511: Number.NaN, 599: Infinity }, 0, [599, 511]],
      [{}, -Infinity, [0, -1]],
      [{ 300: Number.NaN }, -Infinity, [0, 300]],
    ];
    for (const [bias, rest, want] of cases)
      for (const entries of [1, 20]) expect(await scanWith(entries, bias, rest), JSON.stringify({ bias, rest, entries })).toEqual(Array(entries).fill(want));
  });

  it("best of 20 entries with finite logits: each the lowest id of its row's highest logit, as a plain scan", async () => {
    const wide: GPTJRunnerConfig = { ...cfg, vocabSize: 600 };
    const runner = createCpuGPTJRunner(wide, randomRunnerWeights(wide, 'f32', 79));
    const pool = createCpuGPTJPool(runner, { maxSequences: 20, maxTokens: 512 });
    disposables.push(runner, pool);
    const ids = Array.from({ length: 20 }, () => pool.add());
    const best = new Int32Array(40);
    for (const step of [0, 1]) {
      const logits = await pool.step(
        ids.map((id, i) => ({ id, ids: [(i * 7 + step) % 600] })),
        undefined,
        best,
      );
      for (let e = 0; e < 20; e++) {
        const row = Array.from(logits.subarray(e * 600, (e + 1) * 600));
        expect([best[2 * e], best[2 * e + 1]]).toEqual([row.indexOf(Math.max(...row)), -1]);
      }
    }
  });

  it('refuses an out too small or not a Float32Array before stepping: the sequences are unchanged', async () => {
    const [x, y] = twins();
    const entries = [
      { id: x!.a, ids: [1, 2] },
      { id: x!.b, ids: [3] },
    ];
    await expect(x!.pool.step(entries, new Float32Array(2 * V - 1))).rejects.toThrow(ShapeError);
    await expect(x!.pool.step(entries, new Float32Array(2 * V - 1))).rejects.toThrow(/out must be a Float32Array of at least 2 x 50 floats, got 99 floats/);
    await expect(x!.pool.step(entries, new Float64Array(2 * V) as unknown as Float32Array)).rejects.toThrow(/got \[object Float64Array\]/);
    expect([x!.pool.length(x!.a), x!.pool.length(x!.b)]).toEqual([0, 0]);
    expect(await x!.pool.step(entries)).toEqual(
      await y!.pool.step([
        { id: y!.a, ids: [1, 2] },
        { id: y!.b, ids: [3] },
      ]),
    );
  });
});
