import { describe, expect, it } from 'vitest';
import { openaiFinishReason, toGenerateOptions } from './request-options.js';

const signal = new AbortController().signal;

describe('toGenerateOptions', () => {
  it('maps the OpenAI fields to sampling options', () => {
    const o = toGenerateOptions(
      { max_tokens: 7, temperature: 0.5, top_p: 0.9, presence_penalty: 0.1, frequency_penalty: -0.2, stop: 'x', seed: 3, logit_bias: { '50256': -100 } },
      16,
      signal,
      ['\nUser:'],
    );
    expect(o).toEqual({
      maxNewTokens: 7,
      temperature: 0.5,
      topP: 0.9,
      presencePenalty: 0.1,
      frequencyPenalty: -0.2,
      stop: ['x', '\nUser:'],
      seed: 3,
      logitBias: { '50256': -100 },
      signal,
    });
  });

  it('defaults: OpenAI temperature 1 with a random seed; greedy needs no seed', () => {
    const a = toGenerateOptions({}, 16, signal);
    expect(a.maxNewTokens).toBe(16);
    expect(a.temperature).toBe(1);
    expect(typeof a.seed).toBe('number');
    expect(toGenerateOptions({ temperature: 0, stop: null }, 16, signal)).toEqual({ maxNewTokens: 16, temperature: 0, signal });
  });

  it('n is not refused: the server serves it as sibling sequences, so it does not change the sampling options', () => {
    expect(toGenerateOptions({ n: 3, temperature: 0 }, 16, signal)).toEqual(toGenerateOptions({ temperature: 0 }, 16, signal));
  });

  it('maps finish reasons', () => {
    expect(['length', 'stop', 'eos'].map((r) => openaiFinishReason(r as 'length'))).toEqual(['length', 'stop', 'stop']);
  });
});
