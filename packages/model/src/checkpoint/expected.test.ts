// The weight list (@gptj/tensor's gptjWeightSpecs) against checkpoints nobody here wrote: the names and shapes
// transformers 5.17 saved for gptj-small-f32, and the bundled mini-code checkpoint.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fixturePath } from '@gptj/test-fixtures';
import { miniCodeDir } from '@gptj/mini-code';
import { describe, expect, it } from 'vitest';
import { gptjTensorShapes, isLinearWeight, openCheckpoint, parseGPTJConfigText } from '../index.js';

describe('gptjTensorShapes', () => {
  it('names and shapes exactly the tensors transformers saved for gptj-small-f32', () => {
    const path = fixturePath('gptj-small-f32', 'model.safetensors');
    const bytes = readFileSync(path);
    const header = JSON.parse(bytes.subarray(8, 8 + Number(bytes.readBigUInt64LE(0))).toString('utf8')) as Record<string, { shape: number[] }>;
    delete header.__metadata__;
    const config = parseGPTJConfigText(readFileSync(fixturePath('gptj-small-f32', 'config.json'), 'utf8'));
    const saved = Object.fromEntries(Object.entries(header).map(([name, t]) => [name, t.shape]));
    expect(Object.fromEntries(gptjTensorShapes(config))).toEqual(saved);
  });

  it('the mini-code checkpoint (sharded f16) has the same names', async () => {
    const ckpt = await openCheckpoint(miniCodeDir);
    try {
      const config = parseGPTJConfigText(readFileSync(join(miniCodeDir, 'config.json'), 'utf8'));
      expect([...gptjTensorShapes(config).keys()].sort()).toEqual([...ckpt.tensors.keys()].sort());
    } finally {
      ckpt.close();
    }
  });

  it('isLinearWeight: the six matrices of a block and lm_head, nothing else', () => {
    const config = parseGPTJConfigText(readFileSync(fixturePath('gptj-small-f32', 'config.json'), 'utf8'));
    const linear = [...gptjTensorShapes(config).keys()].filter(isLinearWeight);
    expect(linear).toHaveLength(6 * config.nLayer + 1);
    expect(linear.every((n) => /(_proj|fc_in|fc_out)\.weight$|^lm_head\.weight$/.test(n))).toBe(true);
  });
});
