import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readFixtureJson } from '@gptj/test-fixtures';
import { miniCodeDir } from '@gptj/mini-code';
import { describe, expect, it } from 'vitest';
import { parseGPTJConfig } from './config.js';
import { ConfigError } from './errors.js';

describe('parseGPTJConfig', () => {
  it('reads the fixture config, n_inner null -> 4 * n_embd', () => {
    expect(parseGPTJConfig(readFixtureJson('gptj-small-f32', 'config.json'))).toEqual({
      vocabSize: 512, nPositions: 512, nEmbd: 128, nLayer: 3, nHead: 8, nInner: 512, rotaryDim: 8,
      layerNormEpsilon: 1e-5, activationFunction: 'gelu_new', bosTokenId: 0, eosTokenId: 1, tieWordEmbeddings: false,
    });
    const mini = parseGPTJConfig(JSON.parse(readFileSync(join(miniCodeDir, 'config.json'), 'utf8')));
    expect(mini).toMatchObject({ vocabSize: 50400, nHead: 4, nLayer: 4, eosTokenId: 50256 });
  });

  it('applies the transformers defaults (GPT-J 6B) to an empty config', () => {
    expect(parseGPTJConfig({ model_type: 'gptj' })).toEqual({
      vocabSize: 50400, nPositions: 2048, nEmbd: 4096, nLayer: 28, nHead: 16, nInner: 16384, rotaryDim: 64,
      layerNormEpsilon: 1e-5, activationFunction: 'gelu_new', bosTokenId: 50256, eosTokenId: 50256, tieWordEmbeddings: false,
    });
  });

  it('rotary_dim null means the whole head; explicit n_inner is kept', () => {
    expect(parseGPTJConfig({ n_embd: 64, n_head: 4, rotary_dim: null, n_inner: 100 })).toMatchObject({ rotaryDim: 16, nInner: 100 });
  });

  it.each([
    [null, /JSON object/],
    [{ model_type: 'llama' }, /model_type "llama"/],
    [{ n_embd: 100, n_head: 16 }, /divisible by n_head/],
    [{ n_layer: 0 }, /n_layer must be an integer >= 1, got 0/],
    [{ vocab_size: '50400' }, /vocab_size must be an integer/],
    [{ rotary_dim: 300 }, /rotary_dim \(300\) must be even and at most the head dim \(256\)/],
    [{ rotary_dim: 7 }, /must be even/],
    [{ activation_function: 'relu' }, /activation_function "relu" is not supported/],
    [{ layer_norm_epsilon: -1 }, /layer_norm_epsilon/],
    [{ eos_token_id: -3 }, /eos_token_id/],
  ])('rejects %j with a ConfigError', (json, message) => {
    expect(() => parseGPTJConfig(json)).toThrow(ConfigError);
    expect(() => parseGPTJConfig(json)).toThrow(message);
  });
});
