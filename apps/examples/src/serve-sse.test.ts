import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { miniCodeDir } from '@gptj/mini-code';
import { loadModel } from '@gptj/model';
import { generateText } from '@gptj/sampling';
import { Tokenizer } from '@gptj/tokenizer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

interface Received {
  event: string;
  data: Record<string, unknown>;
  at: number;
}

let server: ChildProcess;
let url: string;
let output = '';
let clock = 0; // order of arrival across concurrent streams

async function post(body: unknown): Promise<Response> {
  return fetch(`${url}/generate`, { method: 'POST', body: typeof body === 'string' ? body : JSON.stringify(body) });
}

/** Status and the JSON error message of a refused request. */
async function refusal(res: Response): Promise<[number, string]> {
  return [res.status, ((await res.json()) as { error: string }).error];
}

async function readEvents(res: Response): Promise<Received[]> {
  const events: Received[] = [];
  let buffered = '';
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    buffered += Buffer.from(chunk).toString('utf8');
    let end: number;
    while ((end = buffered.indexOf('\n\n')) >= 0) {
      const block = buffered.slice(0, end);
      const [, event, data] = /^event: (.*)\ndata: (.*)$/.exec(block) ?? [];
      if (event === undefined || data === undefined) throw new Error(`not an SSE event: ${JSON.stringify(block)}`);
      buffered = buffered.slice(end + 2);
      events.push({ event, data: JSON.parse(data), at: clock++ });
    }
  }
  return events;
}

describe('serve-sse example', () => {
  beforeAll(async () => {
    server = spawn(process.execPath, [fileURLToPath(new URL('../dist/serve-sse.js', import.meta.url)), '0']);
    server.stdout!.on('data', (d) => {
      output += d;
    });
    while (!/listening on (\S+)/.test(output)) await once(server.stdout!, 'data');
    url = /listening on (\S+)/.exec(output)![1]!;
  });

  afterAll(async () => {
    if (server.exitCode !== null) return;
    server.kill('SIGTERM');
    const [code] = await once(server, 'exit');
    expect(code).toBe(0);
    expect(output).toContain('stopped');
  });

  it('streams two concurrent requests, interleaved, each as generate would produce it alone', async () => {
    const requests = [
      { prompt: 'def fibonacci(n):\n', maxNewTokens: 40, temperature: 0.8, seed: 1 },
      { prompt: 'import numpy as np\n', maxNewTokens: 24, temperature: 0.8, seed: 2 },
    ];
    const responses = await Promise.all(requests.map(post));
    for (const r of responses) {
      expect(r.status).toBe(200);
      expect(r.headers.get('content-type')).toBe('text/event-stream');
    }
    const streams = await Promise.all(responses.map(readEvents));

    const model = await loadModel(miniCodeDir);
    for (const [i, request] of requests.entries()) {
      const events = streams[i]!;
      const { prompt, ...options } = request;
      const alone = (await generateText(model, Tokenizer.gptj(), prompt, options)).rows[0]!;
      const tokens = events.filter((e) => e.event === 'token');
      const done = events.find((e) => e.event === 'done')!;
      expect(events.map((e) => e.event)).toEqual([...tokens.map(() => 'token'), 'done', 'result']);
      expect(tokens.map((e) => e.data.id)).toEqual(alone.ids.slice(-tokens.length));
      expect(tokens.map((e) => e.data.text).join('') + done.data.text).toBe(alone.text);
      expect(done.data.finishReason).toBe(alone.finishReason);
      expect(events.at(-1)!.data).toMatchObject({ usage: { completionTokens: tokens.length }, seed: request.seed });
    }
    // Both ran in the same steps: the second stream's first token came before the first stream's end.
    const [a, b] = streams;
    expect(b!.find((e) => e.event === 'token')!.at).toBeLessThan(a!.find((e) => e.event === 'done')!.at);
  });

  it('frees the slot of a client that disconnects, long before its 500 tokens would be done', async () => {
    const stats = async () => (await (await fetch(`${url}/stats`)).json()) as { active: number };
    const leaving = new AbortController();
    const res = await fetch(`${url}/generate`, {
      method: 'POST',
      body: JSON.stringify({ prompt: 'def f(x):', maxNewTokens: 500, seed: 3 }),
      signal: leaving.signal,
    });
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    expect(Buffer.from((await reader.read()).value!).toString()).toMatch(/^event: token/);
    expect((await stats()).active).toBe(1);
    leaving.abort();
    const deadline = Date.now() + 1000; // the 500 tokens take over 2 s here; the abort lands within a step
    while ((await stats()).active !== 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(await stats()).toMatchObject({ active: 0, queued: 0 });
  });

  it('answers 400 naming the bad option or body, and 404 elsewhere', async () => {
    const [status, error] = await refusal(await post({ prompt: 'x', temperature: -1 }));
    expect(status).toBe(400);
    expect(error).toMatch(/temperature/);
    expect(await refusal(await post('{"prompt": '))).toEqual([400, 'the body must be JSON: {"prompt": "...", ...options}']);
    expect(await refusal(await post({ maxNewTokens: 3 }))).toEqual([400, 'the body must be a JSON object with a "prompt" string']);
    expect(await refusal(await post('x'.repeat(70_000)))).toEqual([413, 'the body is over 65536 bytes']);
    expect(await refusal(await fetch(`${url}/other`))).toEqual([404, 'only POST /generate and GET /stats are served']);
  });
});
