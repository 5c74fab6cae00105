// What OpenAI clients send beyond the fields the server reads: vendor fields are ignored and logged (not a 400),
// a known field of the wrong type is still a 400; top_k is read; response_format json_object gives JSON.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { createServer } from './server.js';

let app: FastifyInstance;
const logLines: string[] = [];
beforeAll(async () => {
  app = await createServer({ logger: { level: 'warn', stream: { write: (line: string) => void logLines.push(line) } } });
});
afterAll(async () => {
  await app?.close();
});

async function post(url: string, payload: Record<string, unknown>) {
  const res = await app.inject({ method: 'POST', url, payload });
  return { status: res.statusCode, json: res.json() };
}

const warnings = () => logLines.map((l) => JSON.parse(l) as { level: number; msg: string; fields?: string[] }).filter((l) => l.level === 40);

describe('unknown request fields', () => {
  it('are ignored with a warning naming them, on completions, chat (messages too) and embeddings', async () => {
    const vendor = { parallel_tool_calls: false, user: 'u1', metadata: { a: '1' }, service_tier: 'auto', store: false };
    const completion = await post('/v1/completions', { prompt: 'def f(', max_tokens: 2, temperature: 0, ...vendor });
    expect(completion.status).toBe(200);
    expect(completion.json).toEqual(expect.objectContaining({ object: 'text_completion' }));
    const plain = await post('/v1/completions', { prompt: 'def f(', max_tokens: 2, temperature: 0 });
    expect(completion.json.choices[0].text).toBe(plain.json.choices[0].text);

    const chat = await post('/v1/chat/completions', {
      messages: [
        { role: 'user', content: 'hi' },
        { role: 'assistant', content: 'yes', refusal: null },
        { role: 'user', content: 'go' },
      ],
      max_tokens: 2,
      temperature: 0,
      stream_options: { include_usage: true, extra: 1 },
      ...vendor,
    });
    expect(chat.status).toBe(200);
    expect((await post('/v1/embeddings', { input: 'x', store: true })).status).toBe(200);

    const fields = warnings().map((w) => w.fields);
    expect(fields).toContainEqual(['parallel_tool_calls', 'metadata', 'service_tier', 'store']);
    expect(fields).toContainEqual(['messages.1.refusal', 'stream_options.extra', 'parallel_tool_calls', 'metadata', 'service_tier', 'store']);
    expect(fields).toContainEqual(['store']);
    expect(warnings().find((w) => w.fields?.[0] === 'store')?.msg).toBe('ignored unknown request fields: store');
  });

  it('a known field of the wrong type is still a 400 naming it', async () => {
    const r = await post('/v1/completions', { prompt: 'x', temperature: 'hot', parallel_tool_calls: false });
    expect(r.status).toBe(400);
    expect(r.json.error.param).toBe('temperature');
    expect((await post('/v1/chat/completions', { messages: [{ role: 'user', content: 'x', name: 5 }] })).json.error.param).toBe('messages.0.name');
    expect((await post('/v1/completions', { prompt: 'x', top_k: 1.5 })).json.error.param).toBe('top_k');
  });

  it('names at most 20 fields in one warning', async () => {
    const many = Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`x${i}`, i]));
    expect((await post('/v1/completions', { prompt: 'x', max_tokens: 1, ...many })).status).toBe(200);
    expect(warnings().at(-1)?.msg).toMatch(/: x0, x1, .*, x19 and 10 more$/);
  });
});

describe('top_k and response_format', () => {
  it('top_k 1 samples the argmax, as greedy decoding does', async () => {
    const greedy = await post('/v1/completions', { prompt: 'import numpy', max_tokens: 8, temperature: 0 });
    const topK = await post('/v1/completions', { prompt: 'import numpy', max_tokens: 8, temperature: 1, seed: 5, top_k: 1 });
    expect(topK.json.choices[0].text).toBe(greedy.json.choices[0].text);
  });

  it('json_object: completions and chat answer one JSON object when they finish with "stop"', async () => {
    let parsed = 0;
    for (let seed = 1; seed <= 4; seed++) {
      for (const [url, body] of [
        ['/v1/completions', { prompt: 'config = ' }],
        ['/v1/chat/completions', { messages: [{ role: 'user', content: 'Give me a config as JSON.' }] }],
      ] as const) {
        const r = await post(url, { ...body, max_tokens: 40, seed, response_format: { type: 'json_object' } });
        expect(r.status).toBe(200);
        const choice = r.json.choices[0];
        const text: string = choice.text ?? choice.message.content;
        expect(text.startsWith('{')).toBe(true);
        if (choice.finish_reason === 'stop') {
          const v = JSON.parse(text);
          expect(typeof v === 'object' && v !== null && !Array.isArray(v)).toBe(true);
          parsed++;
        } else expect(choice.finish_reason).toBe('length');
      }
    }
    expect(parsed).toBeGreaterThan(0);
  }, 60_000);

  it('json_schema is refused naming response_format; text is the default', async () => {
    const r = await post('/v1/completions', { prompt: 'x', response_format: { type: 'json_schema', json_schema: { name: 'a' } } });
    expect(r.status).toBe(400);
    expect(r.json.error).toMatchObject({
      param: 'response_format',
      message: expect.stringMatching(/json_schema" is not supported; use \{"type": "json_object"\}/),
    });
    expect((await post('/v1/completions', { prompt: 'x', max_tokens: 1, response_format: { type: 'text' } })).status).toBe(200);
    expect((await post('/v1/completions', { prompt: 'x', response_format: { type: 'yaml' } })).json.error.param).toBe('response_format.type');
  });
});
