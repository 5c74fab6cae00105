// The runner's lm_head at 17+ rows with a small K (nEmbd <= 256): on AVX-512 W is packed once at load into the small-K
// GEMM's panels (gptj_runner.h PackedLmHead). Its logits must equal linear()'s on the same final states bit for bit
// (linear converts W per call; each output is the same FMA chain either way), and a naive double-precision product
// of those states and W as stored within the f32 accumulation bound: for every matrix dtype, row counts around the
// tile's 12 rows and the pool's 32, K with and without a 16-float tail, V not a multiple of the panels' 32 rows.
import { afterAll, describe, expect, it } from 'vitest';
import { Tensor, linear } from './index.js';
import { cpu } from './native.js';
import { createCpuGPTJRunner } from './runner.js';
import type { GPTJRunnerConfig } from './runner-shared.js';
import { randomRunnerWeights } from './test-support/index.js';
import { avx512Linear } from './test-support/avx512-linear.js';

const disposables: { dispose(): void }[] = [];
afterAll(() => disposables.forEach((d) => d.dispose()));

const V = 1111;
const ROWS = [17, 31, 32, 33, 64];

describe('CPU runner lm_head packed for the small-K GEMM', () => {
  it('reports the packed panels to V8 as external memory (AVX-512; nothing packed elsewhere)', () => {
    const cfg: GPTJRunnerConfig = { vocabSize: V, nEmbd: 128, nLayer: 1, nHead: 4, nInner: 64, rotaryDim: 4, layerNormEpsilon: 1e-5 };
    const w = randomRunnerWeights(cfg, 'f16', 5);
    const e0 = cpu.externalMemory();
    disposables.push(createCpuGPTJRunner(cfg, w));
    const panels = Math.ceil(V / 32) * 128 * 32 * 2; // f16 panels of 32 rows
    const grew = cpu.externalMemory() - e0;
    if (avx512Linear()) expect(grew).toBeGreaterThanOrEqual(panels);
    else expect(grew).toBeLessThan(panels);
  });

  for (const dtype of ['f32', 'f16', 'bf16', 'q8', 'q4'] as const) {
    // q4 needs K a multiple of its 32-weight groups: 224 stands in for 200
    for (const K of dtype === 'q4' ? [32, 128, 224, 256] : [32, 128, 200, 256]) {
      it(`${dtype} weights, K = ${K}: equal to linear() exactly and to a naive product within the f32 bound`, async () => {
        const cfg: GPTJRunnerConfig = { vocabSize: V, nEmbd: K, nLayer: 1, nHead: 4, nInner: 64, rotaryDim: 4, layerNormEpsilon: 1e-5 };
        const w = randomRunnerWeights(cfg, dtype, 31 * K);
        const runner = createCpuGPTJRunner(cfg, w);
        disposables.push(runner);
        const stored = w.lmHead.toFloat32Array(),
          bias = w.lmHeadBias.toFloat32Array();
        for (const M of ROWS) {
          const ids = Array.from({ length: M }, (_, i) => [(i * 37 + K) % V]);
          const logits = await runner.createSession(M, 1).forward(ids);
          const h = await runner.createSession(M, 1).forwardHidden(ids); // ln_f(x): lm_head's input
          const ht = Tensor.fromArray(h, [M, K]);
          const viaLinear = linear(ht, w.lmHead, w.lmHeadBias);
          expect(logits).toEqual(viaLinear.toFloat32Array());
          viaLinear.dispose();
          ht.dispose();
          let worst = 0;
          for (let m = 0; m < M; m++)
            for (let n = 0; n < V; n++) {
              let ref = bias[n]!,
                mag = Math.abs(ref);
              for (let k = 0; k < K; k++) {
                const p = h[m * K + k]! * stored[n * K + k]!;
                ref += p;
                mag += Math.abs(p);
              }
              worst = Math.max(worst, Math.abs(logits[m * V + n]! - ref) / ((Math.sqrt(K) + 4) * 2 ** -22 * mag + 1e-30));
            }
          expect(worst, `M = ${M}`).toBeLessThanOrEqual(1);
        }
      });
    }
  }
});
