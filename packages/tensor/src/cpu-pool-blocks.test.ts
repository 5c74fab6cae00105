// The pool's paged attention where its kernels change path, against the session's row attention (itself held to
// the float64 reference in attention-rows.test.ts): head dims that are and are not a multiple of 16 (AVX-512
// takes 16 key rows per reduction, 128 output dims per pass over the values) and blocks of 1, 4 and 16 keys,
// with sequences of 1, BS - 1, BS and BS + 1 positions. Both paths give each key run to the same row kernels,
// so a sequence alone in the pool gets the session's logits bit for bit however its keys are split into blocks.
// The AVX2 and scalar row kernels run the same checks in child processes (GPTJ_CPU_ISA).
import { describe, expect, it } from 'vitest';
import * as runner from './runner.js';
import type { GPTJRunnerConfig } from './runner-shared.js';
import * as testing from './test-support/index.js';
import { distModule, runInChild } from './test-support/child-process.js';

interface Modules {
  r: typeof runner;
  ts: typeof testing;
}

// [nEmbd, nHead]: head dims 8, 16, 32 (mini-code's), 48 and 256 (GPT-J 6B's)
const HEADS: [number, number][] = [
  [32, 4],
  [64, 4],
  [128, 4],
  [96, 2],
  [256, 1],
];

/** Every step whose logits differ where they must be equal, named; none when all agree. */
async function blockFailures({ r, ts }: Modules, heads: [number, number][]): Promise<string[]> {
  const base: GPTJRunnerConfig = { vocabSize: 50, nEmbd: 32, nLayer: 2, nHead: 4, nInner: 64, rotaryDim: 4, layerNormEpsilon: 1e-5 };
  const tokens = (n: number, k: number) => Array.from({ length: n }, (_, i) => (i * k + 3) % base.vocabSize);
  const same = (a: Float32Array, b: Float32Array) => a.length === b.length && a.every((x, i) => Object.is(x, b[i]));
  const failures: string[] = [];
  for (const [nEmbd, nHead] of heads) {
    const cfg = { ...base, nEmbd, nHead };
    const runner = r.createCpuGPTJRunner(cfg, ts.randomRunnerWeights(cfg, 'f32', nEmbd));
    const mixed: Float32Array[][] = [];
    for (const bs of [1, 4, 16]) {
      const name = `head dim ${nEmbd / nHead}, blocks of ${bs}`;
      // a lone sequence against the session, at lengths BS - 1, BS, BS + 1, 2 BS + 1, 2 BS + 3 (chunks under 16
      // tokens: the session's row attention)
      const pool = r.createCpuGPTJPool(runner, { maxSequences: 6, maxTokens: 512, blockSize: bs });
      const session = runner.createSession(1, 64);
      const id = pool.add();
      for (const chunk of [tokens(Math.max(1, bs - 1), 3), [4], [9], tokens(Math.min(15, bs), 5), tokens(2, 7)])
        if (!same(await pool.step([{ id, ids: chunk }]), await session.forward([chunk])))
          failures.push(`${name}: lone sequence at ${pool.length(id)} != session`);
      pool.remove(id);
      // sequences of 1 to 33 positions sharing steps: the prompt 8 tokens a step, then one
      const prompts = [1, 3, 15, 16, 17, 33].map((n, i) => tokens(n, i + 2));
      const ids = prompts.map(() => pool.add());
      const outs: Float32Array[] = [];
      for (let step = 0; step < 6; step++)
        outs.push(await pool.step(prompts.map((p, i) => ({ id: ids[i], ids: p.length ? p.splice(0, 8) : [(step * 5 + i) % base.vocabSize] }))));
      if (ids.map((i) => pool.length(i)).join() !== '6,8,19,20,20,34') failures.push(`${name}: lengths ${ids.map((i) => pool.length(i))}`);
      mixed.push(outs);
      session.dispose();
      pool.dispose();
    }
    // The same steps in pools of different block sizes: the linears see the same rows, so only the split of each
    // sequence's keys into blocks differs, and the logits must not. (Against each sequence alone they differ by the
    // linears' summation order, a 6-row GEMM against a lone GEMV: cpu-pool.test.ts holds that within 1e-5.)
    for (let b = 1; b < mixed.length; b++)
      mixed[b].forEach((o, step) => {
        if (!same(o, mixed[0][step])) failures.push(`head dim ${nEmbd / nHead}: mixed step ${step} differs between blocks of 1 and ${[1, 4, 16][b]}`);
      });
    runner.dispose();
  }
  return failures;
}

describe('paged attention over blocks', () => {
  for (const heads of HEADS)
    it(`head dim ${heads[0] / heads[1]}: a lone sequence equals the session, and a mixed run is the same in blocks of 1, 4 and 16`, async () => {
      expect(await blockFailures({ r: runner, ts: testing }, [heads])).toEqual([]);
    });

  for (const isa of ['avx2', 'scalar'])
    it(`${isa} row kernels (child process): the same checks`, () => {
      const script = `const m = { r: await import(${distModule('runner.js')}), ts: await import(${distModule('test-support/index.js')}) };
        const run = ${blockFailures.toString()};
        process.stdout.write(JSON.stringify(await run(m, ${JSON.stringify(HEADS)})));`;
      expect(JSON.parse(runInChild(script, { GPTJ_CPU_ISA: isa }))).toEqual([]);
    }, 60_000);
});
