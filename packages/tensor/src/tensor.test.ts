import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DTypeError, DeviceError, DisposedError, ShapeError, Tensor, TensorError, cast, cudaAvailable, mmapFile } from './index.js';
import { cpu } from './native.js';
import { f16Value, randArray, roundBF16, roundF16 } from './test-support/reference.js';

/** Raw 16-bit patterns of an f16/bf16 tensor. */
function bits16(t: Tensor): number[] {
  return [...new Uint16Array(t.toBytes().buffer)];
}

const f32 = (x: number) => Math.fround(x);

describe('Tensor creation and readback', () => {
  it('round-trips f32 and i32 data with shape, dtype, device, size', () => {
    const t = Tensor.fromArray([1, 2, 3, 4, 5, 6], [2, 3]);
    expect([t.shape, t.dtype, t.device, t.size]).toEqual([[2, 3], 'f32', 'cpu', 6]);
    expect([...t.toFloat32Array()]).toEqual([1, 2, 3, 4, 5, 6]);
    const i = Tensor.fromArray(new Int32Array([7, -8, 2147483647]), [3]);
    expect(i.dtype).toBe('i32');
    expect([...i.toInt32Array()]).toEqual([7, -8, 2147483647]);
    expect([...Tensor.fromArray([1, 2], [2], { dtype: 'i32' }).toInt32Array()]).toEqual([1, 2]);
  });

  it('zeros in every dtype read back as zeros', () => {
    for (const dt of ['f32', 'f16', 'bf16', 'q8'] as const) expect([...Tensor.zeros([3, 17], dt).toFloat32Array()]).toEqual(new Array(51).fill(0));
    expect([...Tensor.zeros([4], 'i32').toInt32Array()]).toEqual([0, 0, 0, 0]);
  });

  it('reshape is a view that shares storage; -1 infers a dim', () => {
    const t = Tensor.fromArray(randArray(24, 1), [2, 3, 4]);
    const v = t.reshape([6, -1]);
    expect(v.shape).toEqual([6, 4]);
    expect(v.toFloat32Array()).toEqual(t.toFloat32Array());
    t.dispose();
    expect(v.disposed).toBe(false);
    expect(v.toFloat32Array().length).toBe(24); // storage lives while a view does
    v.dispose();
    expect(() => t.reshape([24])).toThrow(DisposedError);
  });

  it('rejects bad reshapes', () => {
    const t = Tensor.fromArray(randArray(12, 2), [3, 4]);
    expect(() => t.reshape([5, -1])).toThrow(ShapeError);
    expect(() => t.reshape([-1, -1])).toThrow(ShapeError);
    expect(() => t.reshape([2, 2])).toThrow(ShapeError);
    expect(() => t.reshape([2.5, 4])).toThrow(ShapeError);
    expect(() => cast(t, 'q8').reshape([4, 3])).toThrow(ShapeError);
  });

  it('dispose is idempotent and later use throws DisposedError', () => {
    const t = Tensor.fromArray([1, 2], [2]);
    t.dispose();
    t.dispose();
    expect(t.disposed).toBe(true);
    expect(() => t.toFloat32Array()).toThrow(DisposedError);
    expect(String(t)).toContain('disposed');
  });

  it('validates fromArray arguments', () => {
    expect(() => Tensor.fromArray([1, 2, 3], [2, 2])).toThrow(ShapeError);
    expect(() => Tensor.fromArray([1, 2], [2.5])).toThrow(ShapeError);
    expect(() => Tensor.fromArray([1, 2], [-2])).toThrow(ShapeError);
    expect(() => Tensor.fromArray([1, 2], 'x' as unknown as number[])).toThrow(ShapeError);
    expect(() => Tensor.fromArray([1.5], [1], { dtype: 'i32' })).toThrow(DTypeError);
    expect(() => Tensor.fromArray(new Float32Array(1), [1], { dtype: 'i32' })).toThrow(DTypeError);
    expect(() => Tensor.fromArray([1], [1], { dtype: 'f64' as 'f32' })).toThrow(DTypeError);
    expect(() => Tensor.fromArray('abc' as unknown as number[], [3])).toThrow(TensorError);
    expect(() => Tensor.fromArray([1], [1], { device: 'tpu' as 'cpu' })).toThrow(TensorError);
    expect(() => new (Tensor as unknown as new () => Tensor)()).toThrow(TensorError);
  });

  it('cuda is a dummy device that explains itself when unavailable', () => {
    const s = cudaAvailable();
    if (s.available) return;
    expect(s.reason).toBeTruthy();
    const t = Tensor.fromArray([1], [1]);
    expect(() => t.to('cuda')).toThrow(DeviceError);
    expect(() => Tensor.zeros([2], 'f32', 'cuda')).toThrow(/not available/);
  });
});

describe('native memory accounting', () => {
  it('reports storages to V8, and frees them on dispose or, failing that, on GC', async () => {
    const MB = 2 ** 20;
    const e0 = cpu.externalMemory();
    const kept = Array.from({ length: 4 }, () => Tensor.zeros([1024, 1024]));
    expect(cpu.externalMemory() - e0).toBeGreaterThanOrEqual(16 * MB);
    kept.forEach((t) => t.dispose());
    expect(cpu.externalMemory() - e0).toBeLessThan(MB);
    (() => {
      for (let i = 0; i < 4; i++) Tensor.zeros([1024, 1024]); // never disposed
    })();
    expect(cpu.externalMemory() - e0).toBeGreaterThanOrEqual(16 * MB);
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    for (let i = 0; i < 5 && cpu.externalMemory() - e0 >= MB; i++) {
      gc();
      await new Promise((r) => setImmediate(r));
    }
    expect(cpu.externalMemory() - e0).toBeLessThan(MB);
  });
});

describe('f16 / bf16 rounding', () => {
  it('encodes known f16 bit patterns', () => {
    const cases: [number, number][] = [
      [1 / 3, 0x3555],
      [65504, 0x7bff],
      [65519, 0x7bff],
      [65520, 0x7c00],
      [1e6, 0x7c00],
      [-1e6, 0xfc00],
      [2 ** -24, 0x0001],
      [2 ** -25, 0x0000],
      [3 * 2 ** -25, 0x0002],
      [2 ** -14, 0x0400],
      [-0, 0x8000],
      [1 + 2 ** -11, 0x3c00],
      [1 + 3 * 2 ** -11, 0x3c02],
      [Infinity, 0x7c00],
      [-Infinity, 0xfc00],
      [0.1, 0x2e66],
    ];
    const t = cast(
      Tensor.fromArray(
        cases.map((c) => c[0]),
        [cases.length],
      ),
      'f16',
    );
    expect(bits16(t).map((b) => b.toString(16))).toEqual(cases.map((c) => c[1].toString(16)));
    const nan = bits16(cast(Tensor.fromArray([NaN], [1]), 'f16'))[0];
    expect((nan & 0x7c00) === 0x7c00 && (nan & 0x3ff) !== 0).toBe(true);
  });

  it('encodes known bf16 bit patterns', () => {
    const cases: [number, number][] = [
      [1 / 3, 0x3eab],
      [1, 0x3f80],
      [1 + 2 ** -8, 0x3f80],
      [1 + 3 * 2 ** -8, 0x3f82],
      [-2, 0xc000],
      [3.4e38, 0x7f80],
      [Infinity, 0x7f80],
      [2 ** -130, 0x0008],
      [0, 0],
    ];
    const t = cast(
      Tensor.fromArray(
        cases.map((c) => c[0]),
        [cases.length],
      ),
      'bf16',
    );
    expect(bits16(t).map((b) => b.toString(16))).toEqual(cases.map((c) => c[1].toString(16)));
    const nan = bits16(cast(Tensor.fromArray([NaN], [1]), 'bf16'))[0];
    expect((nan & 0x7f80) === 0x7f80 && (nan & 0x7f) !== 0).toBe(true);
  });

  it('decodes every f16 bit pattern exactly', () => {
    const all = new Uint16Array(65536).map((_, i) => i);
    const t = Tensor.fromBytes(new Uint8Array(all.buffer), [65536], 'f16');
    const back = t.toFloat32Array();
    for (let h = 0; h < 65536; h++) {
      const want = f16Value(h);
      if (Number.isNaN(want)) expect(Number.isNaN(back[h])).toBe(true);
      else if (back[h] !== want) expect.fail(`f16 0x${h.toString(16)} decoded to ${back[h]}, expected ${want}`);
    }
  });

  it('rounds random f32 (4097, wide range) like round-to-nearest-even', () => {
    const x = randArray(4097, 3, -8, 8).map((v, i) => v * 2 ** ((i % 40) - 20));
    const h = cast(Tensor.fromArray(x, [4097]), 'f16').toFloat32Array();
    const b = cast(Tensor.fromArray(x, [4097]), 'bf16').toFloat32Array();
    for (let i = 0; i < x.length; i++) {
      if (h[i] !== f32(roundF16(x[i]))) expect.fail(`f16(${x[i]}) = ${h[i]}, expected ${roundF16(x[i])}`);
      if (b[i] !== f32(roundBF16(x[i]))) expect.fail(`bf16(${x[i]}) = ${b[i]}, expected ${roundBF16(x[i])}`);
    }
  });

  it('fromArray with dtype converts, f16 <-> bf16 goes through f32', () => {
    const x = randArray(255, 4);
    const t = Tensor.fromArray(x, [255], { dtype: 'f16' });
    expect(t.dtype).toBe('f16');
    expect([...t.toFloat32Array()]).toEqual([...x].map((v) => f32(roundF16(v))));
    expect([...cast(t, 'bf16').toFloat32Array()]).toEqual([...x].map((v) => f32(roundBF16(roundF16(v)))));
  });
});

describe('q8', () => {
  it('quantizes each row by absmax/127 and dequantizes within half a step', () => {
    for (const [R, C] of [
      [1, 1],
      [3, 17],
      [17, 255],
      [2, 4097],
    ]) {
      const x = randArray(R * C, R * 31 + C, -3, 3);
      const q = Tensor.fromArray(x, [R, C], { dtype: 'q8' });
      const d = q.toFloat32Array();
      for (let r = 0; r < R; r++) {
        let amax = 0;
        for (let c = 0; c < C; c++) amax = Math.max(amax, Math.abs(x[r * C + c]));
        const s = amax / 127;
        for (let c = 0; c < C; c++) {
          const err = Math.abs(d[r * C + c] - x[r * C + c]);
          if (err > s / 2 + 1e-6 * amax) expect.fail(`[${r},${c}] ${d[r * C + c]} vs ${x[r * C + c]} (step ${s})`);
          const q8 = d[r * C + c] / (s || 1);
          if (Math.abs(q8 - Math.round(q8)) > 1e-3) expect.fail(`[${r},${c}] is not an integer multiple of the scale`);
        }
      }
    }
  });

  it('an all-zero row keeps scale 0', () => {
    expect([...Tensor.fromArray([0, 0, 0, 1, -2, 3], [2, 3], { dtype: 'q8' }).toFloat32Array()].slice(0, 3)).toEqual([0, 0, 0]);
  });
});

describe('zero-copy views and mmapFile', () => {
  it('fromBytes views the bytes without copying', () => {
    const src = new Float32Array([1, 2, 3, 4]);
    const t = Tensor.fromBytes(new Uint8Array(src.buffer), [2, 2], 'f32');
    src[0] = 42;
    expect(t.toFloat32Array()[0]).toBe(42);
  });

  it('fromBytes checks the byte length and copies unaligned bytes', () => {
    const buf = new Uint8Array(17);
    new Float32Array(buf.buffer, 0, 4).set([1, 2, 3, 4]);
    expect(() => Tensor.fromBytes(buf.subarray(0, 15), [4], 'f32')).toThrow(ShapeError);
    const shifted = new Uint8Array(17);
    shifted.set(buf.subarray(0, 16), 1);
    expect([...Tensor.fromBytes(shifted.subarray(1), [4], 'f32').toFloat32Array()]).toEqual([1, 2, 3, 4]);
    expect(() => Tensor.fromBytes(buf as unknown as Uint8Array, [2], 'q8' as 'f32')).toThrow(DTypeError);
  });

  it('a detached ArrayBuffer makes the view throw instead of crashing', () => {
    const ab = new ArrayBuffer(16);
    const t = Tensor.fromBytes(new Uint8Array(ab), [4], 'f32');
    structuredClone(ab, { transfer: [ab] });
    expect(() => t.toFloat32Array()).toThrow(TensorError);
  });

  it('maps a file, views it zero-copy, and keeps the mapping while views and tensors use it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gptj-tensor-'));
    const path = join(dir, 'w.bin');
    const data = randArray(1000, 5);
    writeFileSync(path, new Uint8Array(data.buffer));
    const m = mmapFile(path);
    expect(m.size).toBe(4000);
    const t = Tensor.fromBytes(m.view(400, 400), [10, 10], 'f32');
    expect(t.toFloat32Array()).toEqual(data.subarray(100, 200));
    const head = m.view(0, 8);
    head[0] = 1; // copy-on-write: allowed, the file is untouched
    expect(() => m.view(3999, 2)).toThrow(TensorError);
    expect(() => m.view(-1, 2)).toThrow(TensorError);
    m.close();
    expect(() => m.view(0, 4)).toThrow(/closed/);
    expect(head[1]).toBe(new Uint8Array(data.buffer)[1]); // a view outlives close()
    expect(t.toFloat32Array()).toEqual(data.subarray(100, 200));
    t.dispose();
    m.close();
    expect(() => mmapFile(join(dir, 'missing.bin'))).toThrow(/cannot open/);
    writeFileSync(join(dir, 'empty.bin'), new Uint8Array(0));
    const empty = mmapFile(join(dir, 'empty.bin'));
    expect(empty.size).toBe(0);
    expect(empty.view(0, 0).length).toBe(0);
  });

  it('maps files larger than 4 GiB (sparse) and views far into them', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gptj-tensor-'));
    const path = join(dir, 'big.bin');
    const fd = openSync(path, 'w');
    const tail = new Float32Array([1.5, -2.5]);
    writeSync(fd, new Uint8Array(tail.buffer), 0, 8, 5 * 2 ** 30); // a hole of 5 GiB, then 8 bytes
    closeSync(fd);
    const m = mmapFile(path);
    expect(m.size).toBe(5 * 2 ** 30 + 8);
    const t = Tensor.fromBytes(m.view(5 * 2 ** 30, 8), [2], 'f32');
    m.close();
    expect([...t.toFloat32Array()]).toEqual([1.5, -2.5]);
    t.dispose();
    rmSync(path);
  });
});
