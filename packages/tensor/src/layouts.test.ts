// src/dtype.ts is the TS source of the dtype codes and packed layouts; native/common/dtype.h (and the
// CPU addon's q4.h) the native one. Each addon reports its numbers through layouts(rows, cols), and
// they must equal the TS ones: a layout changed on one side only would read weights as garbage.
// The CUDA addon's layouts() needs no GPU, so it is checked wherever the addon is built.
import { describe, expect, it } from 'vitest';
import { CUDA_ADDON, findAddon } from './addon-loader.js';
import type { CudaAddon } from './cuda/addon.js';
import { DTYPE_CODE, Q4_GROUP, q4ScalesOffset, q8ScalesOffset, storageBytes } from './dtype.js';
import { cpu, type NativeLayouts } from './native.js';

// Shapes at the padding boundaries (values a multiple of 64 bytes, one below, one above), degenerate
// ones, and GPT-J 6B's matrices.
const shapes: [number, number][] = [
  [0, 0],
  [1, 1],
  [1, 63],
  [1, 64],
  [1, 65],
  [3, 40],
  [7, 9],
  [2, 32],
  [3, 96],
  [5, 4128],
  [4096, 4096],
  [16384, 4096],
  [50400, 4096],
];

function expectCommon(got: NativeLayouts, rows: number, cols: number): void {
  expect(got.dtypes).toEqual(DTYPE_CODE);
  expect(got.q8ScalesOffset).toBe(q8ScalesOffset(rows, cols));
  expect(got.q8Bytes).toBe(storageBytes('q8', [rows, cols]));
}

describe('native layouts equal dtype.ts', () => {
  it.each(shapes)('cpu addon, [%i, %i]', (rows, cols) => {
    const got = cpu.layouts(rows, cols);
    expectCommon(got, rows, cols);
    expect(got.q4Group).toBe(Q4_GROUP);
    if (cols % Q4_GROUP === 0) {
      expect(got.q4ScalesOffset).toBe(q4ScalesOffset(rows, cols));
      expect(got.q4Bytes).toBe(storageBytes('q4', [rows, cols]));
    }
  });

  const found = findAddon(CUDA_ADDON);
  it.skipIf(!found.found).each(shapes)('cuda addon, [%i, %i]', (rows, cols) => {
    if (!found.found) return;
    expectCommon((found.addon as CudaAddon).layouts(rows, cols), rows, cols);
  });

  it('refuses bad dims with the op and argument named', () => {
    expect(() => cpu.layouts(-1, 2)).toThrow(/layouts: rows must be an integer/);
    expect(() => cpu.layouts(2, 'x' as never)).toThrow(TypeError);
  });
});
