// The package's public config parsers: what loadModel reads config.json with, for callers that hold the text
// (a server validating an upload, a converter) and want the same checks and typed errors.
import { readFileSync } from 'node:fs';
import { fixturePath } from '@gptj/test-fixtures';
import { describe, expect, it } from 'vitest';
import { CONFIG_LIMITS, ConfigError, parseGPTJConfig, parseGPTJConfigText } from './index.js';

describe('@gptj/model config exports', () => {
  it('parseGPTJConfigText reads the fixture config.json text as parseGPTJConfig reads its JSON', () => {
    const text = readFileSync(`${fixturePath('gptj-small-f32')}/config.json`, 'utf8');
    expect(parseGPTJConfigText(text)).toEqual(parseGPTJConfig(JSON.parse(text)));
    expect(parseGPTJConfigText(text)).toMatchObject({ nLayer: 3, nEmbd: 128, nHead: 8, vocabSize: 512 });
  });

  it('invalid JSON is a ConfigError', () => {
    expect(() => parseGPTJConfigText('{"n_layer": 3,')).toThrow(ConfigError);
    expect(() => parseGPTJConfigText('{"n_layer": 3,')).toThrow(/^config\.json is not valid JSON/);
  });

  it('CONFIG_LIMITS are the bounds the parser enforces', () => {
    expect(parseGPTJConfig({ n_layer: CONFIG_LIMITS.n_layer }).nLayer).toBe(CONFIG_LIMITS.n_layer);
    expect(() => parseGPTJConfig({ n_layer: CONFIG_LIMITS.n_layer + 1 })).toThrow(ConfigError);
    expect(() => parseGPTJConfig({ vocab_size: CONFIG_LIMITS.vocab_size + 1 })).toThrow(/vocab_size/);
  });
});
