import { describe, expect, it } from 'vitest';
import { parseGPTJConfig } from '@gptj/model';
import { parameterCount, weightBytesPerToken } from './hardware-floor.js';

// GPT-J 6B: transformers' GPTJConfig defaults, which @gptj/model applies to an empty config (its config.test.ts pins them).
const gptj6b = parseGPTJConfig({ model_type: 'gptj' });

describe('hardware floor arithmetic', () => {
  it('counts the published GPT-J 6B parameter total', () => {
    expect(parameterCount(gptj6b)).toBe(6_050_882_784);
  });

  it('reads every parameter but the embedding table per token, at the weight dtype', () => {
    const nonEmbedding = parameterCount(gptj6b) - gptj6b.vocabSize * gptj6b.nEmbd;
    const f16 = weightBytesPerToken(gptj6b, 'f16');
    // matrices at 2 bytes, vectors (biases, LayerNorm) at 4: between 2 and 2.01 bytes per parameter
    expect(f16 / nonEmbedding).toBeGreaterThan(2);
    expect(f16 / nonEmbedding).toBeLessThan(2.01);
    expect(weightBytesPerToken(gptj6b, 'f32')).toBe(nonEmbedding * 4);
    const q8 = weightBytesPerToken(gptj6b, 'q8');
    expect(q8 / nonEmbedding).toBeGreaterThan(1);
    expect(q8 / nonEmbedding).toBeLessThan(1.01);
  });

  it('counts q4 matrices at 18 bytes per 32 weights (16 of 4-bit codes, one f16 scale)', () => {
    // f32 = 4 (matrix + vector parameters), f16 = 2 matrix + 4 vector: solve for the two counts
    const f32 = weightBytesPerToken(gptj6b, 'f32'),
      f16 = weightBytesPerToken(gptj6b, 'f16');
    const matrixParams = (f32 - f16) / 2,
      vectorParams = f32 / 4 - matrixParams;
    expect(matrixParams).toBe(28 * (4 * 4096 * 4096 + 2 * 4096 * 16384) + 50400 * 4096);
    const q4 = weightBytesPerToken(gptj6b, 'q4');
    expect(q4).toBe((matrixParams * 18) / 32 + 4 * vectorParams);
    expect(q4 / 1e9).toBeCloseTo(3.29, 2); // GPT-J 6B: 3.29 GB a token, 28% of f16's 11.7
  });
});
