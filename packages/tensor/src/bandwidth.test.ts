import { describe, expect, it } from 'vitest';
import { Tensor, TensorError, linear, measureReadBandwidth } from './index.js';

describe('measureReadBandwidth', () => {
  it('measures a plausible read bandwidth: at least what a GEMV over a large weight streams', () => {
    const bw = measureReadBandwidth(64 << 20, 2);
    expect(Number.isFinite(bw)).toBe(true);
    // A GEMV reads its whole weight once per call, so its byte rate can only reach the probe's in noise.
    const [n, k] = [4096, 4096];
    const w = Tensor.fromArray(new Float32Array(n * k).fill(0.5), [n, k]);     // 64 MiB of f32
    const x = Tensor.fromArray(new Float32Array(k).fill(1), [1, k]);
    linear(x, w).dispose();
    const t0 = performance.now();
    linear(x, w).dispose();
    const gemvRate = (n * k * 4) / ((performance.now() - t0) / 1e3);
    w.dispose();
    x.dispose();
    console.log(`read probe ${(bw / 1e9).toFixed(1)} GB/s, f32 GEMV ${(gemvRate / 1e9).toFixed(1)} GB/s`);
    expect(bw).toBeGreaterThan(gemvRate / 3);
  });

  it('rejects bad arguments with a TensorError', () => {
    expect(() => measureReadBandwidth(1000)).toThrow(TensorError);
    expect(() => measureReadBandwidth(1 << 20, 0)).toThrow(/reps/);
    expect(() => measureReadBandwidth(Number.NaN)).toThrow(TensorError);
  });
});
