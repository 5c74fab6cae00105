import { describe, expect, it } from 'vitest';
import type { GPTJConfig } from '@gptj/model';
import { parameterCount, weightBytesPerToken } from './hardware-floor.js';

// GPT-J 6B as the guide gives it (config.json of EleutherAI/gpt-j-6b).
const gptj6b = {
  vocabSize: 50400, nPositions: 2048, nEmbd: 4096, nLayer: 28, nHead: 16, nInner: 16384, rotaryDim: 64,
  layerNormEpsilon: 1e-5, activationFunction: 'gelu_new', bosTokenId: 50256, eosTokenId: 50256, tieWordEmbeddings: false,
} as GPTJConfig;

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
});
