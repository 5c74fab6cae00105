import { describe, expect, it } from 'vitest';
import { at } from './at.js';

describe('at', () => {
  it('returns the element at an index in range, falsy ones included', () => {
    expect(at([3, 0, 5], 1)).toBe(0);
    expect(at(new Float32Array([1.5, 2.5]), 1)).toBe(2.5);
  });
  it('throws an internal error for an index out of range or not an integer, where xs[i] would give undefined', () => {
    for (const i of [-1, 3, 1.5, Number.NaN]) expect(() => at([3, 0, 5], i)).toThrow(`internal error: index ${i} outside [0, 3)`);
  });
});
