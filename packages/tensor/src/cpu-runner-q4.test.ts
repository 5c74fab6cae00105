// The CPU GPT-J runner and sequence pool over q4 matrices (wte stays f16: the runner gathers its rows, and q4
// has no row gather), beyond cpu-runner.test.ts's exact match with the per-op path: against the f32 runner over
// the dequantized weights (what the q4 numbers mean), and the pool against the session.
import { afterAll, describe, expect, it } from 'vitest';
import * as tensor from './index.js';
import { DTypeError, type Tensor, cast } from './index.js';
import type { GPTJRunnerConfig } from './runner-shared.js';
import * as runner from './runner.js';
import { createCpuGPTJPool, createCpuGPTJRunner } from './runner.js';
import { distModule, runInChild } from './test-support/child-process.js';
import * as testing from './test-support/index.js';
import { relErr } from './test-support/index.js';

const cfg: GPTJRunnerConfig = { vocabSize: 50, nEmbd: 32, nLayer: 2, nHead: 4, nInner: 64, rotaryDim: 4, layerNormEpsilon: 1e-5 };

const disposables: { dispose(): void }[] = [];
afterAll(() => disposables.forEach((d) => d.dispose()));

type Modules = { t: typeof import('./index.js'); r: typeof import('./runner.js'); ts: typeof import('./test-support/index.js') };

/**
 * The worst relative error, over a 20-token prefill and 4 decode steps, of the runner over q4 matrices against
 * the f32 runner over the same weights dequantized. Self-contained (modules passed in) so that a child process
 * can run it under GPTJ_CPU_ISA.
 */
async function dequantizedGap(m: Modules, c: GPTJRunnerConfig): Promise<number> {
  const { t, r, ts } = m;
  const q = ts.randomRunnerWeights(c, 'q4', 5000);
  const deq = r.buildRunnerWeights(c, (spec) => {
    const x = r.weightAt(q, spec) as Tensor;
    return x.dtype === 'q4' ? t.cast(x, 'f32') : x;
  });
  const sa = r.createCpuGPTJRunner(c, q).createSession(1, 40),
    sb = r.createCpuGPTJRunner(c, deq).createSession(1, 40);
  const prompt = [Array.from({ length: 20 }, (_, i) => (i * 7) % 50)];
  let worst = ts.relErr(await sa.forward(prompt), await sb.forward(prompt));
  for (let step = 0; step < 4; step++) worst = Math.max(worst, ts.relErr(await sa.forward([[step * 9]]), await sb.forward([[step * 9]])));
  return worst;
}

const here: Modules = { t: tensor, r: runner, ts: testing };

describe('CPU GPT-J runner, q4 matrices', () => {
  it('is within the int8 rounding of its activations of the f32 runner over the dequantized weights', async () => {
    // Where the CPU has VNNI, a GEMV (decode rows, and the lm_head over the last position) rounds x to int8 per
    // group of 32 first: up to 1/254 of the group's largest |x| per input (q4.test.ts bounds each dot product by
    // it). Through two blocks and the lm_head that measured 0.3-2.1% of the logits here; the next test runs the
    // same comparison on the f32 path, where only the summation order differs.
    expect(await dequantizedGap(here, cfg)).toBeLessThan(5e-2);
  });

  it('equals the f32 runner over the dequantized weights on the AVX-512 path without VNNI (child process)', () => {
    const script = `const m = { t: await import(${distModule('index.js')}), r: await import(${distModule('runner.js')}), ts: await import(${distModule('test-support/index.js')}) };
      const run = ${dequantizedGap.toString()};
      process.stdout.write(String(await run(m, ${JSON.stringify(cfg)})));`;
    expect(Number(runInChild(script, { GPTJ_CPU_ISA: 'avx512-novnni' }))).toBeLessThan(1e-5);
  }, 60_000);

  it('in the sequence pool, 4-row GEMV groups included, is within that bound of each sequence run alone', async () => {
    const wide: GPTJRunnerConfig = { ...cfg, nInner: 32768 }; // fc_in, fc_out are q4 [32768, 32]: 512 KiB each...
    const c = { ...wide, nEmbd: 64, nHead: 4 }; // ...and at nEmbd 64, 1 MiB: the pool groups rows in 4s over them
    const runner = createCpuGPTJRunner(c, testing.randomRunnerWeights(c, 'q4', 6000));
    const pool = createCpuGPTJPool(runner, { maxSequences: 8, maxTokens: 512 });
    disposables.push(runner, pool);
    const ids = Array.from({ length: 6 }, () => pool.add());
    const alone = ids.map(() => runner.createSession(1, 16));
    disposables.push(...alone);
    for (let step = 0; step < 3; step++) {
      const out = await pool.step(ids.map((id, i) => ({ id, ids: [(i * 5 + step * 3) % 50] })));
      for (let i = 0; i < ids.length; i++) {
        const ref = await alone[i].forward([[(i * 5 + step * 3) % 50]]);
        // A pool step of 6 rows runs the small q, k, v, out and lm_head through the blocked GEMM (f32 over
        // dequantized panels) where the lone decode uses the GEMV: the bound of the test above.
        expect(relErr(out.subarray(i * 50, (i + 1) * 50), ref)).toBeLessThan(2e-2);
      }
    }
  });

  it('refuses a q4 wte (no row gather) with a DTypeError naming it', () => {
    const w = testing.randomRunnerWeights(cfg, 'q4', 7000);
    expect(() => createCpuGPTJRunner(cfg, { ...w, wte: cast(w.wte, 'q4') })).toThrow(DTypeError);
    expect(() => createCpuGPTJRunner(cfg, { ...w, wte: cast(w.wte, 'q4') })).toThrow(/wte must be f32 or f16 or bf16 or q8, got q4/);
  });
});
