// An SseTemplate's event is byte for byte the event of the whole chunk serialized by JSON.stringify.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SSE_SLOT, SseTemplate } from './sse.js';

const completionChunk = (model: string, text: string, index: number) => ({
  id: 'cmpl-1',
  object: 'text_completion',
  created: 1700000000,
  model,
  choices: [{ text, index, logprobs: null, finish_reason: null }],
});

describe('SseTemplate', () => {
  it('writes what JSON.stringify writes for any text, model name and index', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), fc.oneof(fc.string({ unit: 'binary' }), fc.constant(`m${SSE_SLOT}`)), fc.nat(), (text, model, index) => {
        const t = new SseTemplate(completionChunk(model, SSE_SLOT, index));
        expect(t.event(text)).toBe(`data: ${JSON.stringify(completionChunk(model, text, index))}\n\n`);
      }),
      { numRuns: 2000 },
    );
  });

  it('holds for the hard strings: quotes, controls, lone surrogates, the slot itself', () => {
    for (const text of ['', '"', '\\', '\n\r\t', '\u2028', '\ud800', '\udc00x', 'é🙂', SSE_SLOT]) {
      const chunk = (content: string) => ({ id: 'c', model: 'm', choices: [{ index: 0, delta: { content }, logprobs: null, finish_reason: null }] });
      expect(new SseTemplate(chunk(SSE_SLOT)).event(text)).toBe(`data: ${JSON.stringify(chunk(text))}\n\n`);
    }
  });

  it('refuses a chunk without the slot', () => {
    expect(() => new SseTemplate({ text: 'x' })).toThrow(/no SSE_SLOT/);
  });
});
