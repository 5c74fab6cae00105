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
      vocabSize: 512,
      nPositions: 512,
      nEmbd: 128,
      nLayer: 3,
      nHead: 8,
      nInner: 512,
      rotaryDim: 8,
      layerNormEpsilon: 1e-5,
      activationFunction: 'gelu_new',
      bosTokenId: 0,
      eosTokenId: 1,
      tieWordEmbeddings: false,
    });
    const mini = parseGPTJConfig(JSON.parse(readFileSync(join(miniCodeDir, 'config.json'), 'utf8')));
    expect(mini).toMatchObject({ vocabSize: 50400, nHead: 4, nLayer: 4, eosTokenId: 50256 });
  });

  it('applies the transformers defaults (GPT-J 6B) to an empty config', () => {
    expect(parseGPTJConfig({ model_type: 'gptj' })).toEqual({
      vocabSize: 50400,
      nPositions: 2048,
      nEmbd: 4096,
      nLayer: 28,
      nHead: 16,
      nInner: 16384,
      rotaryDim: 64,
      layerNormEpsilon: 1e-5,
      activationFunction: 'gelu_new',
      bosTokenId: 50256,
      eosTokenId: 50256,
      tieWordEmbeddings: false,
    });
  });

  it('rotary_dim null means the whole head; explicit n_inner is kept', () => {
    expect(parseGPTJConfig({ n_embd: 64, n_head: 4, rotary_dim: null, n_inner: 100 })).toMatchObject({ rotaryDim: 16, nInner: 100 });
  });

  it.each([
    [null, /JSON object/],
    [{ model_type: 'llama' }, /model_type "llama"/],
    [{ n_embd: 100, n_head: 16 }, /^config\.json field n_embd \(100\) must be divisible by n_head \(16\)$/],
    [{ n_layer: 0 }, /^config\.json field n_layer must be an integer from 1 to 1024, got 0$/],
    [{ vocab_size: '50400' }, /vocab_size must be an integer/],
    [{ rotary_dim: 300 }, /^config\.json field rotary_dim must be an integer from 1 to 256 \(the head dim\), got 300$/],
    [{ rotary_dim: 7 }, /must be even/],
    [{ activation_function: 'relu' }, /activation_function "relu" is not supported/],
    [{ layer_norm_epsilon: -1 }, /layer_norm_epsilon/],
    [{ eos_token_id: -3 }, /eos_token_id/],
    // sanity limits: far above any GPT-J, low enough that nothing sized by them can exhaust memory or Map sizes
    [{ n_layer: 1_000_000 }, /^config\.json field n_layer must be an integer from 1 to 1024, got 1000000$/],
    [{ n_layer: 1e9 }, /field n_layer must be an integer from 1 to 1024, got 1000000000/],
    [{ n_embd: 2 ** 20, n_head: 16 }, /field n_embd must be an integer from 1 to 65536/],
    [{ n_head: 2048, n_embd: 4096 }, /field n_head must be an integer from 1 to 1024/],
    [{ n_inner: 2 ** 30 }, /field n_inner must be an integer from 1 to 262144/],
    [{ vocab_size: 2 ** 31 }, /field vocab_size must be an integer from 1 to 4194304/],
    [{ n_positions: 2 ** 40 }, /field n_positions must be an integer from 1 to 1048576/],
    [{ rotary_dim: 1e300 }, /field rotary_dim must be an integer from 1 to/],
    [{ layer_norm_epsilon: 1e999 }, /field layer_norm_epsilon must be a finite positive number/],
    // token ids must name a row of the logits (issue 15: 99999999 was blamed on a nonexistent CLI flag)
    [{ eos_token_id: 99_999_999 }, /^config\.json field eos_token_id must be null or a token id from 0 to 50399 \(vocab_size - 1\), got 99999999$/],
    [{ eos_token_id: 50400 }, /field eos_token_id must be null or a token id from 0 to 50399/],
    [{ bos_token_id: 1.5 }, /field bos_token_id must be null or a token id/],
    [{ bos_token_id: '1' }, /field bos_token_id must be null or a token id/],
    [{ eos_token_id: [50256, 70000] }, /field eos_token_id must be null or a token id from 0 to 50399 \(vocab_size - 1\), got 70000/],
    [{ eos_token_id: [] }, /field eos_token_id must be null or a token id/],
    [{ pad_token_id: -1 }, /field pad_token_id must be null or a token id from 0 to 50399 \(vocab_size - 1\), got -1/],
    [{ vocab_size: 100, n_embd: 64, n_head: 4, rotary_dim: 8, pad_token_id: 100 }, /field pad_token_id must be null or a token id from 0 to 99/],
  ])('rejects %j with a ConfigError', (json, message) => {
    expect(() => parseGPTJConfig(json)).toThrow(ConfigError);
    expect(() => parseGPTJConfig(json)).toThrow(message);
  });

  it('describes a value nested 20,000 deep instead of serialising it (that overflowed the stack; found by the fuzz target)', () => {
    const deep: unknown = JSON.parse(`${'['.repeat(20_000)}${']'.repeat(20_000)}`);
    expect(() => parseGPTJConfig({ n_embd: deep })).toThrow(ConfigError);
    expect(() => parseGPTJConfig({ n_embd: deep })).toThrow(/^config\.json field n_embd must be an integer from 1 to 65536, got a list of 1 items$/);
  });

  it('accepts token ids inside the vocabulary, lists of them, null, and a missing pad_token_id', () => {
    expect(parseGPTJConfig({ bos_token_id: 0, eos_token_id: [50399, 50256], pad_token_id: null })).toMatchObject({ bosTokenId: 0, eosTokenId: 50399 });
    expect(parseGPTJConfig({ bos_token_id: null, eos_token_id: null })).toMatchObject({ bosTokenId: null, eosTokenId: null });
    // the defaults (50256) of a config whose vocabulary is smaller name no token
    expect(parseGPTJConfig({ vocab_size: 512, n_embd: 64, n_head: 4, rotary_dim: 8 })).toMatchObject({ bosTokenId: null, eosTokenId: null });
  });
});
