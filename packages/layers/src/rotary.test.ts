import { Tensor } from '@gptj/tensor';
import { describe, expect, it } from 'vitest';
import { RotaryEmbedding } from './rotary.js';
import { randArray, relErr, rotaryRef } from '@gptj/tensor/testing';

describe('RotaryEmbedding', () => {
  const shape = [2, 3, 2, 16];
  const x = randArray(2 * 3 * 2 * 16, 21, -1, 1);
  const pos = new Int32Array([0, 1, 2, 7, 8, 1500]);
  const posT = Tensor.fromArray(pos, [2, 3], { dtype: 'i32' });

  it.each([
    ['interleaved', 8],
    ['interleaved', 16],
    ['half', 8],
    ['half', 16],
  ] as const)('%s on %d of 16 dims matches the naive rotation', (style, r) => {
    const y = new RotaryEmbedding({ rotaryDim: r, style }).apply(Tensor.fromArray(x, shape), posT).toFloat32Array();
    expect(relErr(y, rotaryRef(x, pos, shape, r, style))).toBeLessThan(1e-6);
    for (let i = 0; i < y.length; i++) if (i % 16 >= r) expect(y[i]).toBe(x[i]); // the rest passes through
  });

  it('leaves position 0 unchanged and differs between the two styles elsewhere', () => {
    const a = new RotaryEmbedding({ rotaryDim: 16, style: 'interleaved' }).apply(Tensor.fromArray(x, shape), posT).toFloat32Array();
    const b = new RotaryEmbedding({ rotaryDim: 16, style: 'half' }).apply(Tensor.fromArray(x, shape), posT).toFloat32Array();
    expect([...a.subarray(0, 32)]).toEqual([...x.subarray(0, 32)]);
    expect(relErr(a, b)).toBeGreaterThan(0.1);
  });

  it('rejects odd rotary dims', () => {
    expect(() => new RotaryEmbedding({ rotaryDim: 7, style: 'half' })).toThrow(/even/);
  });
});
