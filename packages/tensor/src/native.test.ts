import { describe, expect, it } from 'vitest';
import { cpu } from './native.js';

describe('cpu addon', () => {
  it('reports CPU features', () => {
    const f = cpu.cpuFeatures();
    expect(typeof f.avx2).toBe('boolean');
  });
});
