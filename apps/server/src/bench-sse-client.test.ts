// The load bench's own SSE client (bench/sse-client.mjs) reads the server's streams exactly as the official openai
// client does: the same chunks, in order, for completions and chat, whole and split at every byte.
import { describe, expect, it } from 'vitest';
import { SseParser, streamEvents } from '../bench/sse-client.mjs';
import { useListening } from './test-support/listening.js';

const server = useListening({ parallel: 2 });

function parse(pieces: string[]): string[] {
  const out: string[] = [];
  const parser = new SseParser((d) => out.push(d));
  for (const p of pieces) parser.push(p);
  return out;
}

describe('SseParser', () => {
  it('follows the SSE field rules: joined data lines, CRLF, comments, other fields, one optional space', () => {
    const text = ': hello\r\nevent: x\ndata: {"a":1}\n\ndata:b\ndata:  c\r\n\r\nid: 7\n\ndata\n\ndata: tail';
    expect(parse([text])).toEqual(['{"a":1}', 'b\n c', '']);
  });

  it('gives the same events however the text is split', () => {
    const text = 'data: {"x":"\\u00e9\\n"}\r\n\r\n: c\n\ndata: 1\ndata: 2\n\ndata: [DONE]\n\n';
    const whole = parse([text]);
    for (let i = 0; i <= text.length; i++) expect(parse([text.slice(0, i), text.slice(i)])).toEqual(whole);
  });
});

describe('streamEvents against the openai client', () => {
  it.each([
    ['completions', { prompt: 'def add(a, b):', max_tokens: 12 }],
    ['chat/completions', { messages: [{ role: 'user', content: 'Hi' }], max_tokens: 12 }],
  ])('/v1/%s: the same chunks', async (path, fields) => {
    const body = { model: 'gptj-mini-code', temperature: 0, stream: true, ...fields };
    const ours: unknown[] = [];
    await streamEvents(`${server.base}/v1/${path}`, body, undefined, (c) => ours.push(c));
    const theirs: unknown[] = [];
    const stream = await server.client.post(`/${path}`, { body, stream: true });
    for await (const c of stream as AsyncIterable<unknown>) theirs.push(c);
    const strip = (cs: unknown[]) => cs.map((c) => ({ ...(c as object), id: 'x', created: 0 }));
    expect(ours.length).toBeGreaterThan(3);
    expect(strip(ours)).toEqual(strip(theirs));
  });

  it('rejects a 400 with the server message', async () => {
    await expect(streamEvents(`${server.base}/v1/completions`, { prompt: 'x', max_tokens: -1, stream: true }, undefined, () => {})).rejects.toThrow(
      /^400 .*max_tokens/,
    );
  });
});
