// Issue 15's server rows: requests for another model, a client that half-closes, bodies and URLs that used to get
// misleading or non-OpenAI errors, float fields that do not survive float32, and @gptj warnings in the log.
import net from 'node:net';
import { availableParallelism } from 'node:os';
import { basename } from 'node:path';
import { miniCodeDir } from '@gptj/mini-code';
import { embed } from '@gptj/model';
import type { AddressInfo } from 'node:net';
import { readFixtureJson } from '@gptj/test-fixtures';
import { Tokenizer } from '@gptj/tokenizer';
import type { FastifyInstance } from 'fastify';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer } from './server.js';
import { runServerBinary } from './test-support/server-binary.js';

const copyright = readFixtureJson<{ samples: { prompt: string; new_ids: number[] }[] }>('mini-code-samples.json').samples.find(
  (s) => s.prompt === '# Copyright',
)!;
const logLines: string[] = [];
let app: FastifyInstance;
let port: number;

beforeAll(async () => {
  app = await createServer({ logger: { level: 'warn', stream: { write: (line: string) => void logLines.push(line) } } });
  await app.listen({ port: 0, host: '127.0.0.1' });
  port = (app.server.address() as AddressInfo).port;
});
afterAll(async () => {
  await app?.close();
});

/** Writes `data` on a raw TCP connection (then half-closes it when `halfClose`) and collects everything until close. */
function rawRequest(data: string, halfClose: boolean): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => {
      socket.write(data);
      if (halfClose) socket.end();
    });
    let out = '';
    socket.setEncoding('latin1').on('data', (d: string) => (out += d));
    socket.on('close', () => resolve(out));
    socket.on('error', reject);
    socket.setTimeout(30_000, () => socket.destroy(new Error('no reply within 30 s')));
  });
}

/** Status and JSON body of a raw HTTP/1.1 response. */
function parseResponse(raw: string): { status: number; body: any } {
  const status = Number(/^HTTP\/1\.1 (\d{3}) /.exec(raw)?.[1]);
  const body = raw.slice(raw.indexOf('\r\n\r\n') + 4);
  return { status, body: JSON.parse(body) };
}

function expectErrorShape(body: any, code: string | null = null): void {
  expect(Object.keys(body)).toEqual(['error']);
  expect(Object.keys(body.error).sort()).toEqual(['code', 'message', 'param', 'type']);
  expect(body.error.type).toBe('invalid_request_error');
  expect(body.error.code).toBe(code);
  expect(body.error.message.length).toBeGreaterThan(0);
}

describe('the model field', () => {
  it.each(['/v1/completions', '/v1/chat/completions'])('%s: another model is a 404 model_not_found', async (url) => {
    const payload = url.includes('chat')
      ? { model: 'gpt-4', messages: [{ role: 'user', content: 'hi' }], max_tokens: 1 }
      : { model: 'gpt-4', prompt: 'x', max_tokens: 1 };
    const res = await app.inject({ method: 'POST', url, payload });
    expect(res.statusCode).toBe(404);
    expectErrorShape(res.json(), 'model_not_found');
    expect(res.json().error.message).toMatch(/gpt-4.*does not exist/);
  });

  it('the loaded model id, or no model field, is served', async () => {
    for (const payload of [
      { model: 'gptj-mini-code', prompt: '# Copyright', max_tokens: 2, temperature: 0 },
      { prompt: '# Copyright', max_tokens: 2, temperature: 0 },
    ]) {
      const res = await app.inject({ method: 'POST', url: '/v1/completions', payload });
      expect(res.statusCode).toBe(200);
    }
  });

  it('--model as given, its base name and --name are all the loaded model', async () => {
    const named = await createServer({ modelDir: miniCodeDir, modelName: 'mini' });
    try {
      for (const model of ['mini', miniCodeDir, basename(miniCodeDir)]) {
        const res = await named.inject({ method: 'POST', url: '/v1/completions', payload: { model, prompt: '# Copyright', max_tokens: 1, temperature: 0 } });
        expect(res.statusCode, model).toBe(200);
        expect(res.json().model).toBe('mini');
      }
      expect(
        (await named.inject({ method: 'POST', url: '/v1/completions', payload: { model: 'gptj-mini-code', prompt: 'x', max_tokens: 1 } })).statusCode,
      ).toBe(404);
    } finally {
      await named.close();
    }
  });

  it('GET /v1/models/{id}: the model, or 404 model_not_found (also through the openai client)', async () => {
    const client = new OpenAI({ baseURL: `http://127.0.0.1:${port}/v1`, apiKey: 'unused', maxRetries: 0 });
    const model = await client.models.retrieve('gptj-mini-code');
    expect(model).toMatchObject({ id: 'gptj-mini-code', object: 'model', owned_by: 'gptj' });
    await expect(client.models.retrieve('gpt-4')).rejects.toMatchObject({ status: 404, code: 'model_not_found', param: 'model' });
    const res = await app.inject({ method: 'GET', url: '/v1/models/EleutherAI/gpt-j-6b' });
    expect(res.statusCode).toBe(404);
    expectErrorShape(res.json(), 'model_not_found');
  });
});

describe('a client that half-closes after its request still gets the reply', () => {
  it('POST /v1/completions, then socket.end()', async () => {
    const body = JSON.stringify({ prompt: '# Copyright', max_tokens: 4, temperature: 0 });
    const raw = await rawRequest(
      `POST /v1/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
      true,
    );
    const { status, body: json } = parseResponse(raw);
    expect(status).toBe(200);
    expect(json.choices[0].text).toBe(Tokenizer.gptj().decode(copyright.new_ids.slice(0, 4)));
  });

  it('POST /v1/embeddings of many micro-batches: interim 102 responses (the disconnect probe), then the vectors', async () => {
    const input = Array.from({ length: 64 }, (_, i) => Array.from({ length: 100 }, (_, j) => (i + j) % 10));
    const body = JSON.stringify({ input });
    const raw = await rawRequest(
      `POST /v1/embeddings HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
      true,
    );
    const interim = /^(HTTP\/1\.1 102 Processing\r\n\r\n)*/.exec(raw)![0];
    expect(interim.length).toBeGreaterThan(0);
    const { status, body: json } = parseResponse(raw.slice(interim.length));
    expect(status).toBe(200);
    const want = await embed(app.gptj.model, input, { pooling: 'mean', normalize: true });
    expect(json.data.map((d: { embedding: number[] }) => Float32Array.from(d.embedding))).toEqual(want);
  });
});

describe('bodies, URLs and headers get OpenAI-shaped errors', () => {
  it('a JSON body sent as text/plain is parsed as JSON (what fetch sends without a content-type)', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/v1/completions',
      headers: { 'content-type': 'text/plain;charset=UTF-8' },
      payload: JSON.stringify({ prompt: '# Copyright', max_tokens: 2, temperature: 0 }),
    });
    expect(res.statusCode).toBe(200);
    expect(res.json().choices[0].text).toBe(Tokenizer.gptj().decode(copyright.new_ids.slice(0, 2)));
  });

  it('another media type is a 415 saying to send JSON', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/v1/completions',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'prompt=x',
    });
    expect(res.statusCode).toBe(415);
    expectErrorShape(res.json());
    expect(res.json().error.message).toMatch(/application\/x-www-form-urlencoded.*send the body as JSON/);
  });

  it.each([
    ['{"prompt":"x","__proto__":{"max_tokens":1}}', '__proto__'],
    ['{"prompt":"x","constructor":{"prototype":{"a":1}}}', 'constructor'],
    ['{"messages":[{"role":"user","content":"hi","__proto__":{}}]}', 'messages.0.__proto__'],
  ])('%s is a 400 naming the key', async (payload, param) => {
    const res = await app.inject({
      method: 'POST',
      url: payload.includes('messages') ? '/v1/chat/completions' : '/v1/completions',
      headers: { 'content-type': 'application/json' },
      payload,
    });
    expect(res.statusCode).toBe(400);
    expectErrorShape(res.json());
    expect(res.json().error.param).toBe(param);
    expect(res.json().error.message).toContain(`"${param.split('.').at(-1)}" is not allowed`);
  });

  it('malformed JSON is a 400 that says so', async () => {
    const res = await app.inject({ method: 'POST', url: '/v1/completions', headers: { 'content-type': 'application/json' }, payload: '{"prompt":' });
    expect(res.statusCode).toBe(400);
    expectErrorShape(res.json());
    expect(res.json().error.message).toMatch(/^the request body is not valid JSON: /);
  });

  it('a 100 KB URL is a 414, 100 KB of headers a 431, garbage a 400: JSON error bodies', async () => {
    const url = parseResponse(await rawRequest(`GET /v1/models?${'a'.repeat(100_000)} HTTP/1.1\r\nHost: x\r\n\r\n`, false));
    expect(url.status).toBe(414);
    expectErrorShape(url.body);
    const headers = parseResponse(await rawRequest(`GET /v1/models HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(100_000)}\r\n\r\n`, false));
    expect(headers.status).toBe(431);
    expectErrorShape(headers.body);
    const garbage = parseResponse(await rawRequest('FOO@ / HTTP/1.1\r\nHost: x\r\n\r\n', false));
    expect(garbage.status).toBe(400);
    expectErrorShape(garbage.body);
  });
});

describe('float fields that do not survive float32', () => {
  it.each([
    [{ temperature: 1e-50 }, 'temperature'],
    [{ top_p: 1e-50 }, 'top_p'],
    [{ presence_penalty: 1e-300 }, 'presence_penalty'],
    [{ logit_bias: { 50256: 1e-50 } }, 'logit_bias.50256'],
  ])('%j is a 400 naming %s', async (field, param) => {
    const res = await app.inject({ method: 'POST', url: '/v1/completions', payload: { prompt: 'x', max_tokens: 1, ...field } });
    expect(res.statusCode).toBe(400);
    expectErrorShape(res.json());
    expect(res.json().error.param).toBe(param);
    expect(res.json().error.message).toMatch(/underflows to 0 in float32/);
  });

  it('temperature 1e-45 (a float32 subnormal: logits / T overflow) samples the argmax: transformers greedy text', async () => {
    const res = await app.inject({ method: 'POST', url: '/v1/completions', payload: { prompt: '# Copyright', max_tokens: 8, temperature: 1e-45, seed: 3 } });
    expect(res.statusCode).toBe(200);
    expect(res.json().choices[0].text).toBe(Tokenizer.gptj().decode(copyright.new_ids.slice(0, 8)));
  });
});

describe('@gptj warnings', () => {
  it('gptj-server logs a capped GPTJ_THREADS once, and Node does not print it', async () => {
    const { stdout, stderr } = await runServerBinary([], { GPTJ_THREADS: String(availableParallelism() + 7) });
    expect(stderr).toMatch(/listening on/);
    const capped = stdout.split('\n').filter((l) => l.includes('GPTJ_THREADS_CAPPED'));
    expect(capped).toHaveLength(1);
    expect(JSON.parse(capped[0]!)).toMatchObject({ level: 40, code: 'GPTJ_THREADS_CAPPED' });
    expect(stderr).not.toMatch(/\(node:\d+\)|Warning/);
  });

  it('are logged once each', async () => {
    for (let i = 0; i < 3; i++) process.emitWarning('requested 64 threads, capped to 2', { code: 'GPTJ_TEST_WARNING' });
    process.emitWarning('not ours', { code: 'OTHER_TEST_WARNING' });
    await new Promise((r) => setImmediate(r));
    const ours = logLines.map((l) => JSON.parse(l) as { level: number; code?: string; msg: string }).filter((l) => l.code === 'GPTJ_TEST_WARNING');
    expect(ours).toEqual([expect.objectContaining({ level: 40, msg: 'requested 64 threads, capped to 2' })]);
    expect(logLines.join('')).not.toContain('not ours');
  });
});
