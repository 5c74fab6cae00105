// Every op of the CUDA backend against the CPU backend on random inputs: the same op is run on CPU
// tensors and on their .to(device) copies, and the results are compared (f32 paths within 1e-5
// relative to the largest reference value, f16/bf16/q8 weights and f16 tensor-core paths within
// 1e-2). Skipped, with the reason in the suite title, where the device is unavailable.
import { describe, expect, it } from 'vitest';
import {
  Tensor,
  add,
  argmax,
  attention,
  cast,
  concat,
  cudaAvailable,
  embedding,
  gelu,
  kvWrite,
  layerNorm,
  linear,
  linearAsync,
  matmul,
  mul,
  rotary,
  scale,
  slice,
  softmax,
  topk,
  transpose,
  IndexError,
  type DType,
  type DeviceName,
} from '../index.js';
import { relErr, rng } from '../test-support/index.js';

function randn(shape: number[], seed: number, dtype: DType = 'f32', amp = 1): Tensor {
  const r = rng(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  return Tensor.fromArray(
    Float32Array.from({ length: n }, () => r() * amp),
    shape,
    { dtype },
  );
}

function ints(shape: number[], hi: number, seed: number): Tensor {
  const r = rng(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  return Tensor.fromArray(
    Int32Array.from({ length: n }, () => Math.floor(((r() + 1) / 2) * hi)),
    shape,
  );
}

const cudaStatus = cudaAvailable();
const devices: { device: DeviceName; available: boolean; reason?: string }[] = [{ device: 'cuda', ...cudaStatus }];

describe.each(devices)('$device', ({ device, available, reason }) => {
  describe.skipIf(!available)(available ? `${device} vs cpu` : `${device} vs cpu (skipped: ${reason})`, () => {
    /** Runs `f` on CPU inputs and on device copies; returns [device result, cpu result] on the host. */
    function both(inputs: Tensor[], f: (...xs: Tensor[]) => Tensor): [Float32Array, Float32Array] {
      const dev = inputs.map((t) => t.to(device));
      const want = f(...inputs),
        got = f(...dev);
      expect(got.device).toBe(device);
      expect(got.shape).toEqual(want.shape);
      const r: [Float32Array, Float32Array] =
        want.dtype === 'i32' ? [Float32Array.from(got.toInt32Array()), Float32Array.from(want.toInt32Array())] : [got.toFloat32Array(), want.toFloat32Array()];
      for (const t of [...inputs, ...dev, want, got]) t.dispose();
      return r;
    }
    const close =
      (tol: number) =>
      ([got, want]: [Float32Array, Float32Array]) =>
        expect(relErr(got, want)).toBeLessThanOrEqual(tol);

    it('copies host <-> device exactly, every dtype', () => {
      for (const dt of ['f32', 'f16', 'bf16', 'q8'] as DType[]) {
        const x = randn([5, 33], 1, dt);
        const y = x.to(device),
          back = y.to('cpu');
        expect(back.toFloat32Array()).toEqual(x.toFloat32Array());
        for (const t of [x, y, back]) t.dispose();
      }
      const z = Tensor.zeros([3, 4], 'f32', device);
      expect(z.toFloat32Array()).toEqual(new Float32Array(12));
      z.dispose();
    });

    it('toBytes and toQ8Parts read device tensors exactly as stored', () => {
      for (const dt of ['f32', 'f16', 'bf16'] as DType[]) {
        const x = randn([5, 33], 3, dt);
        expect(Buffer.from(x.to(device).toBytes()).equals(Buffer.from(x.toBytes())), dt).toBe(true);
      }
      const q = Tensor.fromQ8(
        Int8Array.from({ length: 5 * 33 }, (_, i) => ((i * 37) % 256) - 128),
        Float32Array.of(1, 0.5, 0, 2, 0.25),
        [5, 33],
      );
      const got = q.to(device).toQ8Parts(),
        want = q.toQ8Parts();
      expect([got.values, got.scales]).toEqual([want.values, want.scales]);
    });

    describe.each([
      ['f32', 1e-5],
      ['f16', 1e-2],
      ['bf16', 1e-2],
      ['q8', 1e-2],
    ] as [DType, number][])('linear with %s weights', (wdt, tol) => {
      // M 1..8: GEMV (vectorized when K is a multiple of the 16-byte width, scalar otherwise; split-K
      // for [2, 4096] x 40 rows);
      // M 9, 40: cuBLASLt for f16/bf16, CUDA-core GEMM for f32/q8.
      it.each([
        [1, 64, 48],
        [3, 64, 300],
        [2, 4096, 40],
        [8, 37, 20],
        [9, 128, 70],
        [40, 96, 2100],
      ])('M=%i K=%i N=%i', (M, K, N) => {
        const w = randn([N, K], 2, wdt);
        close(tol)(both([randn([M, K], 3), w, randn([N], 4)], (x, ww, b) => linear(x, ww, b)));
        w.dispose();
      });
    });

    it('linearAsync matches linear', async () => {
      const x = randn([2, 64], 5).to(device),
        w = randn([16, 64], 6, 'f16').to(device);
      const a = linear(x, w),
        b = await linearAsync(x, w);
      expect(b.toFloat32Array()).toEqual(a.toFloat32Array());
      for (const t of [x, w, a, b]) t.dispose();
    });

    it('matmul, batched with broadcasting', () => {
      close(1e-5)(both([randn([2, 1, 5, 7], 7), randn([3, 7, 4], 8)], (a, b) => matmul(a, b)));
      close(1e-5)(both([randn([70, 33], 9), randn([33, 65], 10)], (a, b) => matmul(a, b)));
    });

    it('add, mul (broadcast), scale', () => {
      close(1e-6)(both([randn([4, 1, 6], 11), randn([5, 1], 12)], (a, b) => add(a, b)));
      close(1e-6)(both([randn([3, 4], 13), randn([4], 14)], (a, b) => mul(a, b)));
      close(1e-6)(both([randn([7, 3], 15)], (x) => scale(x, -2.5)));
    });

    it('gelu tanh and erf', () => {
      close(1e-5)(both([randn([1000], 16, 'f32', 4)], (x) => gelu(x, 'tanh')));
      close(1e-5)(both([randn([1000], 17, 'f32', 4)], (x) => gelu(x, 'none')));
    });

    it('layerNorm with f32 and f16 gamma/beta', () => {
      close(1e-5)(both([randn([6, 300], 18, 'f32', 3), randn([300], 19), randn([300], 20)], (x, g, b) => layerNorm(x, g, b, 1e-5)));
      close(1e-5)(both([randn([2, 3, 64], 21), randn([64], 22, 'f16'), randn([64], 23, 'bf16')], (x, g, b) => layerNorm(x, g, b, 1e-5)));
    });

    it('softmax', () => {
      close(1e-5)(both([randn([5, 1000], 24, 'f32', 8)], (x) => softmax(x)));
    });

    it.each(['interleaved', 'half'] as const)('rotary %s, partial rotary dim', (style) => {
      // positions < 64 keep the angles small, so sin/cos of different libms agree to ~1 ulp
      close(1e-5)(both([randn([2, 3, 4, 16], 25), ints([2, 3], 64, 26)], (x, p) => rotary(x, p, { rotaryDim: 8, style })));
    });

    it('rotary at positions up to 2047', () => {
      // f32 angles reach 2047 rad here; one ulp of the angle moves sin/cos by ~1e-4
      close(1e-3)(both([randn([1, 40, 2, 64], 27), ints([1, 40], 2048, 28)], (x, p) => rotary(x, p, { rotaryDim: 64, style: 'interleaved' })));
    });

    it('kvWrite, then attention: decode (T=1), few queries, prefill tiles, with a padding mask', () => {
      for (const [B, T, H, D, Tmax, L] of [
        [2, 1, 3, 16, 80, 70],
        [1, 3, 2, 32, 9, 9],
        [2, 20, 2, 16, 40, 33],
        [1, 37, 1, 64, 37, 37],
      ]) {
        const kc = Tensor.zeros([B, H, Tmax, D]),
          vc = Tensor.zeros([B, H, Tmax, D]);
        const k = randn([B, L, H, D], 29 + T),
          v = randn([B, L, H, D], 30 + T);
        kvWrite(kc, k, 0);
        kvWrite(vc, v, 0);
        // row 0: everything visible; row 1: the first 3 keys are left padding
        const m = Int32Array.from({ length: B * L }, (_, i) => (Math.floor(i / L) === 1 && i % L < 3 ? 0 : 1));
        const mask = Tensor.fromArray(m, [B, L]);
        close(1e-5)(both([randn([B, T, H, D], 31 + T), kc, vc, mask], (q, kk, vv, mm) => attention(q, kk, vv, { kvLength: L, mask: mm })));
        // kvWrite on the device matches too
        const kd = Tensor.zeros([B, H, Tmax, D], 'f32', device),
          kdev = k.to(device);
        kvWrite(kd, kdev, Tmax - L);
        const kh = Tensor.zeros([B, H, Tmax, D]);
        kvWrite(kh, k, Tmax - L);
        expect(kd.toFloat32Array()).toEqual(kh.toFloat32Array());
        for (const t of [kc, vc, k, v, kd, kdev, kh]) t.dispose();
      }
    });

    it.each(['f32', 'f16', 'bf16', 'q8'] as DType[])('embedding from a %s table, and a bad id', (dt) => {
      close(1e-6)(both([randn([50, 24], 32, dt), ints([3, 5], 50, 33)], (t, ids) => embedding(t, ids)));
      const table = randn([50, 24], 34, dt).to(device),
        bad = Tensor.fromArray(Int32Array.from([1, 50]), [1, 2], { device });
      expect(() => embedding(table, bad)).toThrow(IndexError);
      table.dispose();
      bad.dispose();
    });

    it('cast between f32, f16, bf16 and q8', () => {
      for (const [a, b] of [
        ['f32', 'f16'],
        ['f32', 'bf16'],
        ['f16', 'f32'],
        ['bf16', 'f16'],
        ['f32', 'q8'],
        ['f16', 'q8'],
        ['q8', 'f32'],
        ['q8', 'bf16'],
      ] as [DType, DType][])
        close(1e-6)(both([randn([7, 40], 35, a, 3)], (x) => cast(x, b)));
      // an all-zero row quantizes to zeros
      close(0)(both([Tensor.zeros([2, 16])], (x) => cast(cast(x, 'q8'), 'f32')));
    });

    it('slice, transpose, concat (strided copies)', () => {
      close(0)(both([randn([4, 6, 5], 36)], (x) => slice(x, 1, 2, 5)));
      close(0)(both([randn([4, 6, 5], 37)], (x) => transpose(x, 0, 2)));
      close(0)(both([randn([2, 3], 38), randn([2, 4], 39)], (a, b) => concat([a, b], 1)));
      close(0)(both([randn([3, 8], 40, 'f16')], (x) => transpose(x, 0, 1)));
    });

    it('argmax and topk, ties to the lower index', () => {
      const v = Float32Array.from({ length: 3 * 1000 }, (_, i) => ((i * 7919) % 13) / 13);
      v[5] = 2;
      v[700] = 2;
      v[1000 + 999] = 5;
      v[2000] = -1;
      close(0)(both([Tensor.fromArray(v, [3, 1000])], (t) => argmax(t)));
      const x = Tensor.fromArray(v, [3, 1000]),
        xd = x.to(device);
      const got = topk(xd, 20),
        want = topk(x, 20);
      expect(got.values.toFloat32Array()).toEqual(want.values.toFloat32Array());
      expect(got.indices.toInt32Array()).toEqual(want.indices.toInt32Array());
      for (const t of [x, xd, got.values, got.indices, want.values, want.indices]) t.dispose();
    });
  });
});
