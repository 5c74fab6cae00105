import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadModel, parseGPTJConfig, writePytorchBin, writeSafetensors } from '@gptj/model';
import { randomGptjTensors } from './random-weights.js';

const dir = mkdtempSync(join(tmpdir(), 'gptj-gen-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const configJson = { model_type: 'gptj', n_layer: 2, n_embd: 64, n_head: 4, rotary_dim: 8, vocab_size: 300, n_positions: 64 };

describe('randomGptjTensors', () => {
  it.each([
    ['F16', 'safetensors'],
    ['F32', 'bin'],
  ] as const)('%s %s checkpoint loads and gives finite logits', async (dtype, format) => {
    const target = mkdtempSync(join(dir, `${format}-`));
    writeFileSync(join(target, 'config.json'), JSON.stringify(configJson));
    const tensors = randomGptjTensors(parseGPTJConfig(configJson), dtype);
    if (format === 'bin') writePytorchBin(join(target, 'pytorch_model.bin'), tensors);
    else writeSafetensors(join(target, 'model.safetensors'), tensors);
    const model = await loadModel(target, { dtype: 'f16' });
    const logits = (await model.forward([[1, 2, 3]])).toFloat32Array();
    expect(logits.length).toBe(3 * 300);
    expect(logits.every(Number.isFinite)).toBe(true);
    expect(new Set(logits).size).toBeGreaterThan(100); // not a constant pattern
    model.dispose();
  });
});
