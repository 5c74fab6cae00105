import { describe, expect, it } from 'vitest';
import { Tensor, TensorError, linear, measureReadBandwidth, probeReadBandwidth } from './index.js';

describe('probeReadBandwidth', () => {
  it('runs every read method on huge and default pages and reports the best', () => {
    const p = probeReadBandwidth(64 << 20, 2);
    const names = p.methods.map((m) => m.name);
    expect(names).toContain('scalar-4stream');
    for (const m of p.methods) {
      expect(m.best).toBeGreaterThan(0);
      expect(m.median).toBeLessThanOrEqual(m.best);
    }
    expect(p.best).toBe(Math.max(...p.methods.map((m) => m.best)));
    expect(p.method).toMatch(/^[a-z0-9-]+, (huge|default) pages$/);
    expect(p.bytesPerBuffer).toBeLessThanOrEqual(32 << 20);
    if (process.platform === 'linux') {
      expect(p.buffers.map((b) => b.hugePages)).toEqual([true, false]);
      expect(p.methods.length).toBe(2 * new Set(names).size);
      expect(p.buffers[1].hugePageBytes).toBe(0); // MADV_NOHUGEPAGE is honoured whatever THP's mode
    }
  });

  it('measures a plausible read bandwidth: at least what a GEMV over a large weight streams', () => {
    const bw = measureReadBandwidth(64 << 20, 2);
    expect(Number.isFinite(bw)).toBe(true);
    // A GEMV reads its whole weight once per call, so its byte rate can only reach the probe's in noise.
    const [n, k] = [4096, 4096];
    const w = Tensor.fromArray(new Float32Array(n * k).fill(0.5), [n, k]); // 64 MiB of f32
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
    expect(() => probeReadBandwidth(2 ** 40)).toThrow(/bytes/);
    expect(() => probeReadBandwidth(1 << 20, 1.5)).toThrow(/passes/);
  });
});
