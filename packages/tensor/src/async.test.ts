// linearAsync / attentionAsync run on a worker thread: same results as the sync ops, and inputs
// disposed while in flight give a DisposedError, never a crash or freed memory being read.
import { describe, expect, it } from 'vitest';
import { DisposedError, Tensor, attention, attentionAsync, linear, linearAsync } from './index.js';
import { randArray } from './test-support/reference.js';

describe('async ops', () => {
  it('linearAsync equals linear for every weight dtype', async () => {
    const x = Tensor.fromArray(randArray(3 * 255, 1), [3, 255]);
    for (const dtype of ['f32', 'f16', 'bf16', 'q8'] as const) {
      const w = Tensor.fromArray(randArray(17 * 255, 2), [17, 255], { dtype });
      const b = Tensor.fromArray(randArray(17, 3), [17]);
      const [sync, asyncOut] = [linear(x, w, b), await linearAsync(x, w, b)];
      expect(asyncOut.shape).toEqual([3, 17]);
      expect(asyncOut.toFloat32Array()).toEqual(sync.toFloat32Array());
    }
  });

  it('attentionAsync equals attention', async () => {
    const [B, T, H, D, Tmax] = [2, 3, 2, 16, 9];
    const q = Tensor.fromArray(randArray(B * T * H * D, 4), [B, T, H, D]);
    const k = Tensor.fromArray(randArray(B * H * Tmax * D, 5), [B, H, Tmax, D]);
    const v = Tensor.fromArray(randArray(B * H * Tmax * D, 6), [B, H, Tmax, D]);
    const mask = Tensor.fromArray([0, 1, 1, 1, 1, 1, 1, 1], [B, 4], { dtype: 'i32' });
    const opts = { kvLength: 4, mask };
    expect((await attentionAsync(q, k, v, opts)).toFloat32Array()).toEqual(attention(q, k, v, opts).toFloat32Array());
  });

  it('many in flight at once resolve correctly', async () => {
    const x = Tensor.fromArray(randArray(64, 7), [1, 64]);
    const w = Tensor.fromArray(randArray(64 * 64, 8), [64, 64], { dtype: 'f16' });
    const want = linear(x, w).toFloat32Array();
    const outs = await Promise.all(Array.from({ length: 20 }, () => linearAsync(x, w)));
    for (const o of outs) expect(o.toFloat32Array()).toEqual(want);
  });

  it('disposing an input during flight rejects with DisposedError', async () => {
    const x = Tensor.fromArray(randArray(17 * 255, 9), [17, 255]);
    const w = Tensor.fromArray(randArray(255 * 255, 10), [255, 255]);
    const p = linearAsync(x, w);
    w.dispose();
    x.dispose();
    await expect(p).rejects.toThrow(DisposedError);
    await expect(p).rejects.toThrow(/linearAsync: x was disposed while the op was in flight/);
    const q = Tensor.fromArray(randArray(16, 11), [1, 1, 1, 16]);
    const kv = Tensor.fromArray(randArray(64, 12), [1, 1, 4, 16]);
    const pa = attentionAsync(q, kv, kv, { kvLength: 4 });
    kv.dispose();
    await expect(pa).rejects.toThrow(DisposedError);
  });

  it('keeps the JS event loop turning while heavy ops compute', async () => {
    const x = Tensor.fromArray(randArray(64 * 4096, 13), [64, 4096]);
    const w = Tensor.fromArray(randArray(8192 * 4096, 14), [8192, 4096], { dtype: 'f16' }); // 64 MiB
    let ticks = 0;
    let running = true;
    const tick = () => {
      ticks++;
      if (running) setImmediate(tick);
    };
    setImmediate(tick);
    const t0 = performance.now();
    const outs = await Promise.all(Array.from({ length: 4 }, () => linearAsync(x, w))); // 17 GFLOP in all
    running = false;
    const ms = performance.now() - t0;
    console.log(`event loop turned ${ticks} times during ${ms.toFixed(0)} ms of linearAsync`);
    expect(ticks).toBeGreaterThan(20); // a sync linear of the same size would allow none
    for (const o of outs) o.dispose();
    x.dispose();
    w.dispose();
  });

  it('validates before going async', async () => {
    const x = Tensor.fromArray(randArray(4, 1), [1, 4]);
    await expect(linearAsync(x, Tensor.zeros([2, 5]))).rejects.toThrow(/x has 4 features/);
  });
});
