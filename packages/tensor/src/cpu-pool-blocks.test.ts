// The pool's paged attention where its kernels change path, against the session's row attention (itself held to
// the float64 reference in attention-rows.test.ts): head dims that are and are not a multiple of 16 (AVX-512
// takes 16 key rows per reduction, 128 output dims per pass over the values) and blocks of 1, 4 and 16 keys,
// with sequences of 1, BS - 1, BS and BS + 1 positions. Both paths give each key run to the same row kernels,
// so a sequence alone in the pool gets the session's logits bit for bit however its keys are split into blocks.
import { afterAll, describe, expect, it } from 'vitest';
import { createCpuGPTJPool, createCpuGPTJRunner } from './runner.js';
import type { GPTJRunnerConfig } from './runner-shared.js';
import { randomRunnerWeights, relErr } from './test-support/index.js';

const base: GPTJRunnerConfig = { vocabSize: 50, nEmbd: 32, nLayer: 2, nHead: 4, nInner: 64, rotaryDim: 4, layerNormEpsilon: 1e-5 };
// head dim: nEmbd / nHead (mini-code's is 32; GPT-J 6B's 256)
const heads: [number, number][] = [
  [32, 4],
  [64, 4],
  [128, 4],
  [96, 2],
  [256, 1],
];
const tokens = (n: number, k: number) => Array.from({ length: n }, (_, i) => (i * k + 3) % base.vocabSize);

const disposables: { dispose(): void }[] = [];
afterAll(() => disposables.forEach((d) => d.dispose()));

function setup(nEmbd: number, nHead: number, blockSize: number, seed: number) {
  const cfg = { ...base, nEmbd, nHead };
  const runner = createCpuGPTJRunner(cfg, randomRunnerWeights(cfg, 'f32', seed));
  const pool = createCpuGPTJPool(runner, { maxSequences: 6, maxTokens: 512, blockSize });
  disposables.push(runner, pool);
  return { runner, pool };
}

describe('paged attention over blocks', () => {
  for (const [nEmbd, nHead] of heads) {
    for (const bs of [1, 4, 16])
      it(`head dim ${nEmbd / nHead}, blocks of ${bs}: a lone sequence equals the session bit for bit`, async () => {
        const { runner, pool } = setup(nEmbd, nHead, bs, nEmbd);
        const session = runner.createSession(1, 64);
        disposables.push(session);
        const id = pool.add();
        // lengths BS - 1, BS, BS + 1, 2 BS + 1, 2 BS + 3 (chunks under 16 tokens: the session's row attention)
        for (const chunk of [tokens(Math.max(1, bs - 1), 3), [4], [9], tokens(Math.min(15, bs), 5), tokens(2, 7)])
          expect(await pool.step([{ id, ids: chunk }])).toEqual(await session.forward([chunk]));
      });

    it(`head dim ${nEmbd / nHead}: sequences of 1 to 33 positions sharing steps get the same logits in blocks of 1, 4 and 16`, async () => {
      // The same steps in pools of different block sizes: the linears see the same rows, so only the split of each
      // sequence's keys into blocks differs, and the logits must not. (Against each sequence alone they differ by
      // the linears' summation order, a 5-row GEMM against a lone GEMV: cpu-pool.test.ts.)
      const runs = await Promise.all(
        [1, 4, 16].map(async (bs) => {
          const { pool } = setup(nEmbd, nHead, bs, nEmbd);
          const prompts = [1, 3, 15, 16, 17, 33].map((n, i) => tokens(n, i + 2));
          const ids = prompts.map(() => pool.add());
          const outs: Float32Array[] = [];
          for (let step = 0; step < 6; step++)
            outs.push(await pool.step(prompts.map((p, i) => ({ id: ids[i], ids: p.length ? p.splice(0, 8) : [(step * 5 + i) % base.vocabSize] }))));
          expect(ids.map((id) => pool.length(id))).toEqual([6, 8, 19, 20, 20, 34]); // the prompt 8 tokens a step, then one
          return outs;
        }),
      );
      expect(runs[1]).toEqual(runs[0]);
      expect(runs[2]).toEqual(runs[0]);
    });
  }
});
