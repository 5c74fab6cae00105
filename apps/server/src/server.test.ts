// End to end: the official openai client against a server on an ephemeral port, serving the bundled mini-code model.
// Greedy outputs are checked against transformers' completions (mini-code-samples.json).
import { describe, expect, it, vi } from 'vitest';
import { readFixtureJson } from '@gptj/test-fixtures';
import { Tokenizer } from '@gptj/tokenizer';
import { createServer } from './server.js';
import { useListening } from './test-support/listening.js';
import { renderChat } from './chat-template.js';

interface Sample {
  prompt: string;
  new_ids: number[];
  completion: string;
}
const samples = readFixtureJson<{ samples: Sample[] }>('mini-code-samples.json').samples;
const copyright = samples.find((s) => s.prompt === '# Copyright')!;
const fibonacci = samples.find((s) => s.prompt === 'def fibonacci(n):\n')!;

const server = useListening();

async function expectBadRequest(body: Record<string, unknown>, param: string | null, path = '/v1/completions') {
  const res = await fetch(`${server.base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  expect(res.status).toBe(400);
  const json = (await res.json()) as { error: { message: string; type: string; param: string | null } };
  expect(json.error.type).toBe('invalid_request_error');
  expect(json.error.param).toBe(param);
  expect(json.error.message.length).toBeGreaterThan(0);
  return json.error;
}

describe('gptj-server', () => {
  it('lists the model', async () => {
    const models = await server.client.models.list();
    expect(models.data.map((m) => m.id)).toEqual(['gptj-mini-code']);
  });

  it('greedy completion of "# Copyright" equals transformers', async () => {
    const r = await server.client.completions.create({ model: 'gptj-mini-code', prompt: '# Copyright', max_tokens: 48, temperature: 0 });
    expect(r.choices[0]?.text).toBe(copyright.completion);
    expect(r.choices[0]?.finish_reason).toBe('length');
    expect(r.usage).toEqual({ prompt_tokens: 2, completion_tokens: 48, total_tokens: 50 });
  });

  it('with mmap: false (weights read into memory) the greedy completion is the same', async () => {
    const inMemory = await createServer({ mmap: false });
    try {
      const res = await inMemory.inject({
        method: 'POST',
        url: '/v1/completions',
        payload: { model: 'gptj-mini-code', prompt: '# Copyright', max_tokens: 48, temperature: 0 },
      });
      expect(res.statusCode).toBe(200);
      expect(res.json().choices[0]?.text).toBe(copyright.completion);
    } finally {
      await inMemory.close();
    }
  });

  it('streaming yields the same text, then usage and [DONE]', async () => {
    const stream = await server.client.completions.create({ model: 'gptj-mini-code', prompt: '# Copyright', max_tokens: 48, temperature: 0, stream: true });
    let text = '';
    let chunks = 0;
    let last;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.text;
      chunks += 1;
      last = chunk;
    }
    expect(text).toBe(copyright.completion);
    expect(chunks).toBeGreaterThan(10);
    expect(last!.choices[0]?.finish_reason).toBe('length');
    expect(last!.usage?.completion_tokens).toBe(48);
  });

  it('accepts a prompt of token ids and queues concurrent requests', async () => {
    const tokenizer = Tokenizer.gptj();
    const ids = tokenizer.encode(fibonacci.prompt);
    const [a, b] = await Promise.all([
      server.client.completions.create({ model: 'gptj-mini-code', prompt: ids, max_tokens: 12, temperature: 0 }),
      server.client.completions.create({ model: 'gptj-mini-code', prompt: '# Copyright', max_tokens: 12, temperature: 0 }),
    ]);
    expect(a.choices[0]?.text).toBe(tokenizer.decode(fibonacci.new_ids.slice(0, 12)));
    expect(b.choices[0]?.text).toBe(tokenizer.decode(copyright.new_ids.slice(0, 12)));
  });

  it('chat completion returns the assistant message the template continues to', async () => {
    const messages = [{ role: 'user' as const, content: 'Write a Python function that adds two numbers.' }];
    const chat = await server.client.chat.completions.create({ model: 'gptj-mini-code', messages, max_tokens: 10, temperature: 0 });
    const choice = chat.choices[0]!;
    expect(choice.message.role).toBe('assistant');
    expect(chat.usage!.completion_tokens).toBeGreaterThan(0);
    expect(chat.usage!.completion_tokens).toBeLessThanOrEqual(10);
    // Same as a plain completion of the rendered transcript with the template's stop strings, minus leading space.
    const plain = await server.client.completions.create({
      model: 'gptj-mini-code',
      prompt: renderChat(messages),
      max_tokens: 10,
      temperature: 0,
      stop: ['\nUser:', '\nSystem:'],
    });
    expect(choice.message.content).toBe(plain.choices[0]?.text.replace(/^\s+/, ''));
    expect(choice.finish_reason).toBe(plain.choices[0]?.finish_reason);

    const stream = await server.client.chat.completions.create({ model: 'gptj-mini-code', messages, max_tokens: 10, temperature: 0, stream: true });
    let content = '';
    let role;
    for await (const chunk of stream) {
      role ??= chunk.choices[0]?.delta.role;
      content += chunk.choices[0]?.delta.content ?? '';
    }
    expect(role).toBe('assistant');
    expect(content).toBe(choice.message.content);
  });

  it('answers bad requests with 400 and the OpenAI error shape', async () => {
    await expectBadRequest({ prompt: 'x', temperature: -1 }, 'temperature');
    const n = await expectBadRequest({ prompt: 'x', n: 5 }, 'n');
    expect(n.message).toMatch(/at most 4 \(the server's parallel slots/);
    await expectBadRequest({ prompt: 'x', n: 3, best_of: 2 }, 'best_of');
    await expectBadRequest({ prompt: 'x', best_of: 2, stream: true }, 'best_of');
    await expectBadRequest({ max_tokens: 3 }, 'prompt');
    await expectBadRequest({ prompt: 'x', top_p: 0 }, 'top_p');
    expect((await expectBadRequest({ prompt: 'x', stop: 5 }, 'stop')).message).toMatch(/string or an array/);
    await expectBadRequest({ messages: [{ role: 'robot', content: 'hi' }] }, 'messages.0.role', '/v1/chat/completions');
    const ctx = await expectBadRequest({ prompt: 'x', max_tokens: 100000 }, 'max_tokens');
    expect(ctx.message).toMatch(/context length is 512/);
    await expectBadRequest({ prompt: [999999], max_tokens: 1 }, 'prompt');

    const malformed = await fetch(`${server.base}/v1/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"prompt":' });
    expect(malformed.status).toBe(400);
    expect(((await malformed.json()) as { error: { type: string } }).error.type).toBe('invalid_request_error');

    // Through the official client too.
    await expect(server.client.completions.create({ model: 'gptj-mini-code', prompt: 'x', temperature: -1 })).rejects.toMatchObject({
      status: 400,
      type: 'invalid_request_error',
      param: 'temperature',
    });
  });

  it('streams server-sent events ending with data: [DONE]', async () => {
    const res = await fetch(`${server.base}/v1/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ prompt: '# Copyright', max_tokens: 3, temperature: 0, stream: true }),
    });
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const events = (await res.text()).split('\n\n').filter(Boolean);
    expect(events.every((e) => e.startsWith('data: '))).toBe(true);
    expect(events.at(-1)).toBe('data: [DONE]');
    const final = JSON.parse(events.at(-2)!.slice(6));
    expect(final.usage).toEqual({ prompt_tokens: 2, completion_tokens: 3, total_tokens: 5 });
  });

  it('a client that disconnects mid-stream aborts its generation and frees the model', async () => {
    const run = vi.spyOn(server.app.gptj, 'run');
    const controller = new AbortController();
    const res = await fetch(`${server.base}/v1/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ prompt: '# Copyright', max_tokens: 500, temperature: 0, stream: true }),
      signal: controller.signal,
    });
    const reader = res.body!.getReader();
    await reader.read(); // the first chunk: generation is running
    controller.abort();
    // 500 tokens would take far longer than this test's budget; the abort lets the next request run at once.
    const start = performance.now();
    const r = await server.client.completions.create({ model: 'gptj-mini-code', prompt: '# Copyright', max_tokens: 4, temperature: 0 });
    expect(r.choices[0]?.text).toBe(Tokenizer.gptj().decode(copyright.new_ids.slice(0, 4)));
    expect(performance.now() - start).toBeLessThan(15_000);
    // The disconnected request ended early with 'abort', well short of its 500 tokens.
    const aborted = await run.mock.results[0]?.value;
    expect(aborted.choices[0].finishReason).toBe('abort');
    expect(aborted.completionTokens).toBeLessThan(500);
    run.mockRestore();
  });

  it('serves the playground page at /', async () => {
    const res = await fetch(`${server.base}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await res.text();
    expect(html).toContain('<textarea id="prompt"');
    expect(html).toContain('/v1/completions');
  });

  it('answers unknown routes with a 404 in the error shape', async () => {
    const res = await fetch(`${server.base}/v1/audio/speech`, { method: 'POST' });
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error: { type: string } }).error.type).toBe('invalid_request_error');
  });
});
