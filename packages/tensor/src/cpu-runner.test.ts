// The CPU GPT-J runner (one native job per step) against the same model run op by op with this
// package's own ops: the runner promises the per-op path's floats exactly, for every weight dtype,
// prefill (blocked attention) and decode (row attention), left-padded batches and beam reorders.
// Then its errors: bad arguments, disposed weights, overlapping steps; and the event loop keeps turning.
import { afterAll, describe, expect, it } from 'vitest';
import { type DType, DTypeError, DisposedError, IndexError, ShapeError, Tensor, TensorError } from './index.js';
import { createCpuGPTJRunner } from './runner.js';
import type { RunnerWeights } from './gptj-weights.js';
import type { GPTJRunnerConfig } from './runner-shared.js';
import { GPTJOpsReference, randArray, randomRunnerWeights } from './test-support/index.js';

const cfg: GPTJRunnerConfig = { vocabSize: 50, nEmbd: 32, nLayer: 2, nHead: 4, nInner: 64, rotaryDim: 4, layerNormEpsilon: 1e-5 };

let seed = 100;
const rand = (shape: number[], dtype: DType = 'f32', amp = 0.5): Tensor => {
  const a = randArray(
    shape.reduce((p, d) => p * d, 1),
    seed++,
  );
  for (let i = 0; i < a.length; i++) a[i] *= amp;
  return Tensor.fromArray(a, shape, { dtype });
};

const randomWeights = (dtype: DType): RunnerWeights<Tensor> => randomRunnerWeights(cfg, dtype, 1000 * seed++);

const disposables: { dispose(): void }[] = [];
afterAll(() => disposables.forEach((d) => d.dispose()));

describe('CPU GPT-J runner', () => {
  for (const dtype of ['f32', 'f16', 'bf16', 'q8', 'q4'] as const) {
    it(`${dtype} weights: prefill, decode, left padding and reorder give the per-op path's logits exactly`, async () => {
      const w = randomWeights(dtype);
      const runner = createCpuGPTJRunner(cfg, w);
      disposables.push(runner);
      const B = 2,
        maxLen = 40;
      const s = runner.createSession(B, maxLen);
      const ref = new GPTJOpsReference(w, cfg, B, maxLen);
      // 20 prompt positions: the blocked attention path (T >= 16) on row 0; row 1 is left-padded by 3.
      const prompt = [Array.from({ length: 20 }, (_, i) => (i * 7) % 50), Array.from({ length: 20 }, (_, i) => (i * 3 + 1) % 50)];
      const mask = [prompt[0].map(() => 1), prompt[1].map((_, i) => (i < 3 ? 0 : 1))];
      expect(await s.forward(prompt, mask)).toEqual(ref.forward(prompt, mask));
      for (let step = 0; step < 4; step++) {
        const ids = [[(step * 11) % 50], [(step * 13 + 5) % 50]];
        expect(await s.forward(ids)).toEqual(ref.forward(ids));
        if (step === 1) {
          s.reorder([1, 1]);
          ref.reorder([1, 1]);
        }
      }
      expect(s.length).toBe(24);
      s.dispose();
    });
  }

  it('runs the exact gelu when the config asks for it', async () => {
    const w = randomWeights('f32');
    const exact = createCpuGPTJRunner({ ...cfg, activation: 'gelu' }, w).createSession(1, 8);
    const tanh = createCpuGPTJRunner(cfg, w).createSession(1, 8);
    const [a, b] = [await exact.forward([[1, 2, 3]]), await tanh.forward([[1, 2, 3]])];
    expect(a).not.toEqual(b);
    let worst = 0;
    for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
    expect(worst).toBeLessThan(0.05); // the two gelu forms differ by < 5e-4 per activation
  });

  it('keeps the event loop turning during a step', async () => {
    const big: GPTJRunnerConfig = { ...cfg, nEmbd: 512, nHead: 8, nInner: 2048, nLayer: 4, vocabSize: 5000 };
    const { vocabSize: V, nEmbd: D, nInner: I } = big;
    const w: RunnerWeights<Tensor> = {
      wte: rand([V, D]),
      lnfGamma: rand([D]),
      lnfBeta: rand([D]),
      lmHead: rand([V, D]),
      lmHeadBias: rand([V]),
      layers: Array.from({ length: big.nLayer }, () => ({
        lnGamma: rand([D]),
        lnBeta: rand([D]),
        q: rand([D, D]),
        k: rand([D, D]),
        v: rand([D, D]),
        out: rand([D, D]),
        fcIn: rand([I, D]),
        fcInBias: rand([I]),
        fcOut: rand([D, I]),
        fcOutBias: rand([D]),
      })),
    };
    const s = createCpuGPTJRunner(big, w).createSession(1, 256);
    let ticks = 0;
    const timer = setInterval(() => ticks++, 0);
    const t0 = performance.now();
    await s.forward([Array.from({ length: 200 }, (_, i) => i % V)]);
    const ms = performance.now() - t0;
    clearInterval(timer);
    expect(ms).toBeGreaterThan(5);
    expect(ticks).toBeGreaterThan(2);
  });

  describe('errors', () => {
    const w = randomWeights('f16');
    const runner = createCpuGPTJRunner(cfg, w);

    it('rejects weights of the wrong shape, dtype or device, naming them', () => {
      expect(() => createCpuGPTJRunner(cfg, { ...w, lmHead: rand([cfg.vocabSize, 16]) })).toThrow(ShapeError);
      expect(() => createCpuGPTJRunner(cfg, { ...w, lmHead: rand([cfg.vocabSize, 16]) })).toThrow(/lmHead must be \[50,32\], got \[50,16\]/);
      expect(() => createCpuGPTJRunner(cfg, { ...w, lnfGamma: rand([32], 'q8') })).toThrow(DTypeError);
      expect(() => createCpuGPTJRunner(cfg, { ...w, layers: w.layers.slice(1) })).toThrow(/weights.layers has 1 entries/);
      expect(() => createCpuGPTJRunner(cfg, { ...w, wte: {} as Tensor })).toThrow(/wte must be a Tensor/);
      expect(() => createCpuGPTJRunner({ ...cfg, nHead: 5 }, w)).toThrow(ShapeError);
      expect(() => createCpuGPTJRunner({ ...cfg, activation: 'relu' as 'gelu' }, w)).toThrow(TensorError);
    });

    it('rejects bad steps without touching the session', async () => {
      const s = runner.createSession(2, 6);
      await expect(s.forward([[1], [99]])).rejects.toThrow(IndexError);
      await expect(s.forward([[1], [99]])).rejects.toThrow(/token id 99 at row 1, position 0 is outside \[0, 50\)/);
      await expect(s.forward([[1, 2]])).rejects.toThrow(ShapeError);
      await expect(s.forward([[1, 2], [3]])).rejects.toThrow(ShapeError);
      await expect(s.forward([[1], [2]], [[1], [2]])).rejects.toThrow(/mask values must be 0 or 1/);
      await expect(
        s.forward([
          [1, 2, 3, 4, 5, 6, 7],
          [1, 2, 3, 4, 5, 6, 7],
        ]),
      ).rejects.toThrow(/exceed the session's maxLength of 6/);
      expect(s.length).toBe(0);
      expect(() => s.reorder([0, 2])).toThrow(/row 2 is outside \[0, 2\)/);
      const first = s.forward([[1], [2]]);
      await expect(s.forward([[1], [2]])).rejects.toThrow(/still running/);
      expect(() => s.reorder([1, 0])).toThrow(/still running/);
      await first;
      expect(s.length).toBe(1);
      s.dispose();
      await expect(s.forward([[1], [2]])).rejects.toThrow(DisposedError);
    });

    it('a weight disposed under the runner makes the next step throw, not crash', async () => {
      const w2 = randomWeights('f32');
      const r2 = createCpuGPTJRunner(cfg, w2);
      const s = r2.createSession(1, 4);
      const pending = s.forward([[3]]);
      w2.layers[1].fcOut.dispose(); // during the step: the free waits for it
      await pending;
      await expect(s.forward([[4]])).rejects.toThrow(DisposedError);
      await expect(s.forward([[4]])).rejects.toThrow(/layers\[1\].fcOut was disposed/);
      r2.dispose();
      expect(() => r2.createSession(1, 4)).toThrow(/runner was disposed/);
    });
  });
});
