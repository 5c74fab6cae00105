// CpuGPTJPool.step entries with skipLogits (issue 14): only best is wanted for them, so on AVX-512 (the small-K lm_head
// GEMM, 17+ rows) their rows are left out of `out` but for the highest logit, unless the scan alone cannot give the
// greedy pick (NaN or +Infinity in the row, nothing above -Infinity, best in the entry's banned range): then the row is
// written, the same bits as a step that asked for every row. The reference: a twin pool (same runner, same steps)
// asking for all rows.
import { afterAll, describe, expect, it } from 'vitest';
import { ShapeError, Tensor } from './index.js';
import { createCpuGPTJPool, createCpuGPTJRunner, type PoolStepEntry } from './runner.js';
import type { GPTJRunnerConfig } from './runner-shared.js';
import { randomRunnerWeights } from './test-support/index.js';
import { avx512Linear } from './test-support/avx512-linear.js';

// V not a multiple of the GEMM's 32-column panels, over several of its 256-column tasks; 20 rows: 12 + 8 in tiles
const cfg: GPTJRunnerConfig = { vocabSize: 1111, nEmbd: 32, nLayer: 1, nHead: 4, nInner: 64, rotaryDim: 4, layerNormEpsilon: 1e-5 };
const V = cfg.vocabSize;
const E = 20;
const SENTINEL = 7;

const disposables: { dispose(): void }[] = [];
afterAll(() => disposables.forEach((d) => d.dispose()));

/** Two pools over one runner (lm_head bias replaced by `bias` when given), E sequences in each. */
function twins(bias?: Float32Array) {
  const w = randomRunnerWeights(cfg, 'f16', 2024);
  const runner = createCpuGPTJRunner(cfg, bias ? { ...w, lmHeadBias: Tensor.fromArray(bias, [V]) } : w);
  const pools = [0, 1].map(() => createCpuGPTJPool(runner, { maxSequences: E, maxTokens: 64 * E }));
  disposables.push(runner, ...pools);
  return pools.map((pool) => ({ pool, ids: Array.from({ length: E }, () => pool.add()) }));
}

const bits = (a: Float32Array, e: number) => new Uint32Array(a.buffer, a.byteOffset + e * V * 4, V);
const tokens = (step: number, i: number) => (step === 0 ? [i, 3 * i + 1] : [(i * 7 + step) % V]);

/** Row e left out of out: the sentinel everywhere but at its best id, which holds the reference's logit. */
function expectLeftOut(got: Float32Array, want: Float32Array, e: number) {
  const row = got.subarray(e * V, (e + 1) * V);
  const at = row.findIndex((v) => v !== SENTINEL);
  expect(at).toBeGreaterThanOrEqual(0);
  expect(row[at]).toBe(want[e * V + at]);
  expect(want.subarray(e * V, (e + 1) * V).indexOf(Math.max(...want.subarray(e * V, (e + 1) * V)))).toBe(at);
  expect(row.every((v, j) => j === at || v === SENTINEL)).toBe(true);
}

/** One step of both twins: the reference asks for every row, `x` skips where skipFor gives a range. */
async function step([x, ref]: ReturnType<typeof twins>, n: number, skipFor: (i: number, refBest: Int32Array) => readonly [number, number] | undefined) {
  const refBest = new Int32Array(2 * E);
  const want = await ref!.pool.step(
    ref!.ids.map((id, i) => ({ id, ids: tokens(n, i) })),
    undefined,
    refBest,
  );
  const out = new Float32Array(E * V).fill(SENTINEL);
  const best = new Int32Array(2 * E);
  const skipped = x!.ids.map((_, i) => skipFor(i, refBest));
  const entries: PoolStepEntry[] = x!.ids.map((id, i) => ({ id, ids: tokens(n, i), ...(skipped[i] ? { skipLogits: { unlessBestIn: skipped[i]! } } : {}) }));
  const got = await x!.pool.step(entries, out, best);
  expect(got.buffer).toBe(out.buffer);
  expect(best).toEqual(refBest);
  return { want, got, skipped };
}

describe('CpuGPTJPool.step with skipLogits', () => {
  it('a mixed step: rows asked for are the same bits, rows skipped are left out of out but for their best logit (AVX-512), best is exact for all', async () => {
    const pair = twins();
    for (let n = 0; n < 3; n++) {
      // runs of asked and skipped rows in one tile, a whole tile of skipped ones (rows 12-19 from step 1)
      const { want, got, skipped } = await step(pair, n, (i) => (i % 3 === 1 || (n > 0 && i >= 12) ? [0, 0] : undefined));
      for (let e = 0; e < E; e++) {
        if (!skipped[e]) expect(bits(got, e)).toEqual(bits(want, e));
        else if (avx512Linear()) expectLeftOut(got, want, e);
      }
    }
  });

  it('a skipped row whose best is in its unlessBestIn range is written after all, the same bits', async () => {
    const pair = twins();
    for (let n = 0; n < 2; n++) {
      // every row skipped; even rows ban exactly their winner, odd rows a range next to it
      const { want, got } = await step(pair, n, (i, refBest) => {
        const b = refBest[2 * i]!;
        return i % 2 === 0 ? [b, b + 1] : [b + 1, b + 5];
      });
      for (let e = 0; e < E; e++) {
        if (e % 2 === 0) expect(bits(got, e)).toEqual(bits(want, e));
        else if (avx512Linear()) expectLeftOut(got, want, e);
      }
    }
  });

  it('a skipped row holding NaN, or nothing above -Infinity, is written after all, the same bits', async () => {
    for (const bias of [
      Float32Array.from({ length: V }, (_, j) => (j === 700 ? Number.NaN : 0)),
      Float32Array.from({ length: V }, (_, j) => (j === 1100 ? Number.POSITIVE_INFINITY : 0)),
      new Float32Array(V).fill(Number.NEGATIVE_INFINITY),
    ]) {
      const { want, got } = await step(twins(bias), 0, () => [0, 0]);
      for (let e = 0; e < E; e++) expect(bits(got, e)).toEqual(bits(want, e));
    }
  });

  it('bad skipLogits, or skipLogits without best, is a ShapeError naming the entry; the sequences stay as they were', async () => {
    const [{ pool, ids }] = twins() as [ReturnType<typeof twins>[0]];
    const entry = (skipLogits: unknown) => [{ id: ids[0]!, ids: [1] }, { id: ids[1]!, ids: [2], skipLogits } as PoolStepEntry];
    const best = new Int32Array(4);
    for (const bad of [
      { unlessBestIn: [3, 1] },
      { unlessBestIn: [-1, 0] },
      { unlessBestIn: [0.5, 2] },
      { unlessBestIn: [0] },
      { unlessBestIn: 'x' },
      {},
      null,
      5,
    ]) {
      await expect(pool.step(entry(bad), undefined, best)).rejects.toThrow(ShapeError);
      await expect(pool.step(entry(bad), undefined, best)).rejects.toThrow(/entries\[1\]\.skipLogits must be \{ unlessBestIn: \[start, end\] \}/);
    }
    await expect(pool.step(entry({ unlessBestIn: [0, 0] }))).rejects.toThrow(/skipLogits needs best/);
    expect([pool.length(ids[0]!), pool.length(ids[1]!)]).toEqual([0, 0]);
  });
});
