// A CUDA step that fails leaves the session as it was (native/cuda/gptj_runner.cpp: validate, stage,
// launch, commit). Session `a` is fed failing calls between its good steps (an id out of range, a mask
// value of 2, an output whose buffer was transferred away, a step past maxLength, a reorder with a row
// out of range); session `b` of the same runner gets only the good steps. Both must then agree on
// every step's logits, length and greedy continuation. Runs on a GPU machine; skipped elsewhere (the
// checks themselves run here: bindings.test.ts, and the CPU runner's tests for the shared
// native/common/step.cpp).
import { describe, expect, it } from 'vitest';
import { type Tensor, cudaAvailable } from '../index.js';
import { mapRunnerWeights } from '../gptj-weights.js';
import { type GPTJRunnerConfig, createCudaGPTJRunner } from '../runner.js';
import { randomRunnerWeights, relErr } from '../test-support/index.js';

const cfg: GPTJRunnerConfig = { vocabSize: 96, nEmbd: 64, nLayer: 2, nHead: 4, nInner: 256, rotaryDim: 8, layerNormEpsilon: 1e-5 };
const status = cudaAvailable();

function argmaxRows(logits: Float32Array, V: number): number[] {
  return Array.from({ length: logits.length / V }, (_, b) => {
    const row = logits.subarray(b * V, (b + 1) * V);
    return row.indexOf(Math.max(...row));
  });
}

describe.skipIf(!status.available)(status.available ? 'cuda session after failed steps' : `cuda session after failed steps (skipped: ${status.reason})`, () => {
  it('equals a session that never saw the failures', async () => {
    const host = randomRunnerWeights(cfg, 'f16', 41);
    const dev = mapRunnerWeights('test', cfg, host, (t) => (t as Tensor).to('cuda'));
    const runner = createCudaGPTJRunner(cfg, dev);
    const B = 2,
      V = cfg.vocabSize,
      maxLength = 12;
    const a = runner.createSession(B, maxLength),
      b = runner.createSession(B, maxLength);
    const failures = async () => {
      const L = a.length;
      await expect(a.forwardInto(Int32Array.of(1, V), 1, null, new Float32Array(B * V))).rejects.toThrow(/token id 96 at row 1/);
      await expect(a.forwardInto(Int32Array.of(1, 2), 1, Int32Array.of(1, 2), new Float32Array(B * V))).rejects.toThrow(/0 or 1/);
      const gone = new Float32Array(B * V);
      structuredClone(gone.buffer, { transfer: [gone.buffer] });
      await expect(a.forwardInto(Int32Array.of(1, 2), 1, null, gone)).rejects.toThrow(/out must be/);
      const tooLong = Array.from({ length: B }, () => Array.from({ length: maxLength - L + 1 }, () => 1));
      // T above maxLength itself is refused as an out-of-range T, one that only overflows as exceeding it
      await expect(a.forward(tooLong)).rejects.toThrow(L === 0 ? /T must be an integer in \[1, 12\]/ : /exceed maxLength/);
      expect(() => a.reorder([0, B])).toThrow(/outside/);
      expect(a.length).toBe(L);
    };

    const prompt = [
        [5, 6, 7],
        [0, 8, 9],
      ],
      mask = [
        [1, 1, 1],
        [0, 1, 1],
      ];
    await failures();
    let la = await a.forward(prompt, mask);
    let lb = await b.forward(prompt, mask);
    expect(relErr(la, lb)).toBeLessThan(1e-5);
    for (let step = 0; step < 6; step++) {
      await failures();
      if (step === 2) {
        // a good reorder on both after the failed one
        a.reorder([1, 0]);
        b.reorder([1, 0]);
      }
      const next = argmaxRows(lb, V).map((id) => [id]);
      expect(argmaxRows(la, V)).toEqual(next.map((r) => r[0]));
      la = await a.forward(next);
      lb = await b.forward(next);
      expect(a.length).toBe(b.length);
      expect(relErr(la, lb)).toBeLessThan(1e-5);
    }
    a.dispose();
    b.dispose();
    runner.dispose();
    for (const w of [host, dev]) {
      for (const t of [w.wte, w.lnfGamma, w.lnfBeta, w.lmHead, w.lmHeadBias]) t.dispose();
      for (const l of w.layers) for (const t of Object.values(l)) t.dispose();
    }
  });
});
