// What OpenAI clients send to chat completions besides the basics: the `developer` role, content as an array of
// text parts, and max_completion_tokens. Each request is compared with its plain equivalent on the same server.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { createServer } from './server.js';

let app: FastifyInstance;
beforeAll(async () => {
  app = await createServer();
});
afterAll(async () => {
  await app?.close();
});

interface ChatReply {
  choices: { message: { content: string } }[];
  usage: { completion_tokens: number };
  error?: { message: string; param: string | null };
}

async function chat(body: Record<string, unknown>): Promise<{ status: number; json: ChatReply }> {
  const res = await app.inject({ method: 'POST', url: '/v1/chat/completions', payload: { temperature: 0, max_tokens: 8, ...body } });
  return { status: res.statusCode, json: res.json() as ChatReply };
}

describe('chat completions as OpenAI clients send them', () => {
  it('reads the developer role as the system role, and text parts as the joined text', async () => {
    const plain = await chat({
      messages: [
        { role: 'system', content: 'Write Python.' },
        { role: 'user', content: 'def add(a, b):\nreturn' },
      ],
    });
    const modern = await chat({
      messages: [
        { role: 'developer', content: [{ type: 'text', text: 'Write Python.' }] },
        {
          role: 'user',
          content: [
            { type: 'text', text: 'def add(a, b):' },
            { type: 'text', text: 'return' },
          ],
        },
      ],
    });
    expect(plain.status).toBe(200);
    expect(modern.status).toBe(200);
    expect(modern.json.choices[0]?.message.content).toBe(plain.json.choices[0]?.message.content);
  });

  it('refuses an image part by name instead of dropping it', async () => {
    const r = await chat({
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'hi' },
            { type: 'image_url', image_url: { url: 'x' } },
          ],
        },
      ],
    });
    expect(r.status).toBe(400);
    expect(r.json.error?.param).toBe('messages.0.content.1');
    expect(r.json.error?.message).toMatch(/"image_url" parts are not supported/);
  });

  it('takes max_completion_tokens as max_tokens, and refuses the two disagreeing', async () => {
    const messages = [{ role: 'user', content: 'def fibonacci(n):' }];
    const byOld = await chat({ messages, max_tokens: 3 });
    const byNew = await chat({ messages, max_tokens: undefined, max_completion_tokens: 3 });
    expect(byNew.status).toBe(200);
    expect(byNew.json.usage.completion_tokens).toBe(byOld.json.usage.completion_tokens);
    expect(byNew.json.choices[0]?.message.content).toBe(byOld.json.choices[0]?.message.content);
    expect(byNew.json.usage.completion_tokens).toBeLessThanOrEqual(3);
    const both = await chat({ messages, max_tokens: 3, max_completion_tokens: 5 });
    expect(both.status).toBe(400);
    expect(both.json.error?.param).toBe('max_completion_tokens');
  });
});
