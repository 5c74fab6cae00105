// The server on the continuous-batching scheduler: concurrent streams equal one-at-a-time runs, the bounded queue
// (429 + Retry-After), disconnects freeing slots, request timeouts, /health, /metrics, n / best_of as siblings
// (against @gptj/sampling's generateText with the same seed) and streamed logprobs (against the non-streamed ones).
import { describe, expect, it } from 'vitest';
import type OpenAI from 'openai';
import { readFixtureJson } from '@gptj/test-fixtures';
import { generateText } from '@gptj/sampling';
import { embed } from '@gptj/model';
import { createServer } from './server.js';
import { listening, useListening } from './test-support/listening.js';

interface Sample {
  prompt: string;
  completion: string;
  new_ids: number[];
}
const samples = readFixtureJson<{ samples: Sample[] }>('mini-code-samples.json').samples;

const server = useListening();

async function post(path: string, body: unknown, at = server.base, signal?: AbortSignal) {
  return fetch(`${at}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), signal });
}

/** Streams a completion with the openai client; the text of each choice index. */
async function streamed(at: OpenAI, body: Omit<OpenAI.CompletionCreateParamsStreaming, 'model' | 'stream'>): Promise<string[]> {
  const texts: string[] = [];
  for await (const chunk of await at.completions.create({ ...body, model: 'gptj-mini-code', stream: true })) {
    for (const c of chunk.choices) texts[c.index] = (texts[c.index] ?? '') + c.text;
  }
  return texts;
}

/** Waits for `cond` (10 s at most: the machine running the tests may be very busy). */
async function until(cond: () => boolean): Promise<void> {
  const end = Date.now() + 10_000;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('continuous batching', () => {
  const requests = [
    ...samples.map((s) => ({ prompt: s.prompt, max_tokens: 40, temperature: 0 })),
    { prompt: 'def add(a, b):', max_tokens: 24, temperature: 0.8, seed: 11 },
    { prompt: 'import numpy as np\n', max_tokens: 33, temperature: 1, top_p: 0.9, seed: 12 },
    { prompt: 'class Stack:\n', max_tokens: 30, temperature: 0.7, seed: 13, stop: ['\n\n'] },
    { prompt: 'for i in range(10):', max_tokens: 17, temperature: 0, frequency_penalty: 0.5 },
    { prompt: '#', max_tokens: 50, temperature: 1.2, seed: 14 },
  ];

  it('concurrent streaming clients get the texts of the same requests run one at a time', async () => {
    const alone: string[] = [];
    for (const r of requests) alone.push((await server.client.completions.create({ ...r, model: 'gptj-mini-code' })).choices[0]!.text);
    // transformers' greedy completions for the fixture prompts
    samples.forEach((s, i) => {
      expect(s.completion.startsWith(alone[i]!)).toBe(true);
    });

    let most = 0;
    const watch = setInterval(() => {
      most = Math.max(most, server.app.gptj.stats.active);
    }, 1);
    const together = await Promise.all(requests.map(async (r) => (await streamed(server.client, r))[0]));
    clearInterval(watch);
    expect(together).toEqual(alone);
    expect(most).toBeGreaterThan(1); // they did share steps
  });

  it('a full queue answers 429 with Retry-After; disconnected clients free their slot and their queue place', async () => {
    const small = await listening({ parallel: 1, maxQueue: 1 });
    try {
      const long = { prompt: '# Copyright', max_tokens: 400, temperature: 0, stream: true };
      const first = new AbortController();
      const a = await post('/v1/completions', long, small.base, first.signal);
      const reader = a.body!.getReader();
      await reader.read(); // generating in the one slot
      const second = new AbortController();
      const b = post('/v1/completions', long, small.base, second.signal).catch(() => null);
      await until(() => small.app.gptj.stats.queued === 1);

      const full = await post('/v1/completions', { prompt: 'x', max_tokens: 2 }, small.base);
      expect(full.status).toBe(429);
      expect(Number(full.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(((await full.json()) as { error: { code: string; message: string } }).error).toMatchObject({
        code: 'queue_full',
        message: expect.stringMatching(/1 are waiting/),
      });

      second.abort(); // leaves the queue
      await until(() => small.app.gptj.stats.queued === 0);
      first.abort(); // frees the slot within a step
      await until(() => small.app.gptj.stats.active === 0);
      await b;
      const next = await small.client.completions.create({ model: 'gptj-mini-code', prompt: '# Copyright', max_tokens: 4, temperature: 0 });
      expect(next.choices[0]!.text).toBe(samples.find((s) => s.prompt === '# Copyright')!.completion.slice(0, next.choices[0]!.text.length));
    } finally {
      await small.app.close();
    }
  });

  it('an abort frees the slot at the next step: one token, at most two, of 400', async () => {
    const engine = server.app.gptj;
    const stop = new AbortController();
    const r = await engine.run('# Copyright', { maxNewTokens: 400, temperature: 0, signal: stop.signal }, (e) => {
      if (e.type === 'token') stop.abort();
    });
    expect(r.choices[0]!.finishReason).toBe('abort');
    expect(r.completionTokens).toBeLessThanOrEqual(2);
    expect(engine.stats).toEqual({ active: 0, queued: 0 });
  });

  it('refuses bad slot and queue settings before loading the model', async () => {
    await expect(createServer({ parallel: 0 })).rejects.toThrow(/parallel must be an integer >= 1, got 0/);
    await expect(createServer({ maxQueue: -1 })).rejects.toThrow(/maxQueue must be an integer >= 0, got -1/);
    await expect(createServer({ requestTimeoutMs: 1.5 })).rejects.toThrow(/requestTimeoutMs must be an integer >= 1, got 1.5/);
    await expect(createServer({ modelDir: '/nonexistent', drainTimeoutMs: -5 })).rejects.toThrow(/drainTimeoutMs/);
  });

  it('embeddings take their own turn between generation steps, not after the running generations', async () => {
    const long = new AbortController();
    const res = await post('/v1/completions', { prompt: '#', max_tokens: 450, temperature: 0, stream: true }, server.base, long.signal);
    const reader = res.body!.getReader();
    await reader.read(); // generating
    let streamEnded = false;
    const drained = (async () => {
      try {
        while (!(await reader.read()).done);
      } catch {
        // aborted below
      }
      streamEnded = true;
    })();
    const tok = server.app.gptj.tokenizer;
    const embedded = await server.client.embeddings.create({ model: 'gptj-mini-code', input: 'def add(a, b):' });
    expect(streamEnded).toBe(false);
    expect(server.app.gptj.stats.active).toBe(1);
    const [want] = await server.app.gptj.withModel((model) => embed(model, [tok.encode('def add(a, b):')], { pooling: 'mean', normalize: true }));
    expect(embedded.data[0]!.embedding).toEqual(Array.from(want!));
    long.abort();
    await drained;
  });

  it('a request past requestTimeoutMs ends with a 503 request_timeout, streamed or not', async () => {
    // 450 tokens with EOS banned take 135 ms or more even on a quiet machine (about 0.3 ms a token at best), so a
    // 20 ms timeout always fires; with 150 ms and EOS allowed, a quiet machine finished first and answered 200.
    const timed = await listening({ requestTimeoutMs: 20 });
    const long = { prompt: '#', max_tokens: 450, temperature: 0, logit_bias: { '50256': -100 } };
    try {
      const res = await post('/v1/completions', long, timed.base);
      expect(res.status).toBe(503);
      expect(((await res.json()) as { error: { code: string; message: string } }).error).toMatchObject({
        code: 'request_timeout',
        message: expect.stringMatching(/20 ms/),
      });
      const stream = await (await post('/v1/completions', { ...long, stream: true }, timed.base)).text();
      const events = stream.split('\n\n').filter(Boolean);
      expect(events.at(-1)).toMatch(/"code":"request_timeout"/);
      expect(stream).not.toContain('[DONE]');
      expect(timed.app.gptj.stats).toEqual({ active: 0, queued: 0 });
    } finally {
      await timed.app.close();
    }
  });
});

describe('/health and /metrics', () => {
  it('/health is 200 with the slots while serving, 503 while draining (and generation is refused)', async () => {
    const res = await fetch(`${server.base}/health`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok', model: 'gptj-mini-code', slots: 4, active: 0, queued: 0 });

    const draining = await listening();
    try {
      draining.app.gptj.beginDrain(10_000);
      const h = await fetch(`${draining.base}/health`);
      expect(h.status).toBe(503);
      expect(((await h.json()) as { status: string }).status).toBe('draining');
      const gen = await post('/v1/completions', { prompt: 'x', max_tokens: 2 }, draining.base);
      expect(gen.status).toBe(503);
      expect(((await gen.json()) as { error: { code: string } }).error.code).toBe('shutting_down');
    } finally {
      await draining.app.close();
    }
  });

  it('/metrics counts requests, tokens and latencies in Prometheus format', async () => {
    const fresh = await listening();
    try {
      const rs = await Promise.all([
        fresh.client.completions.create({ model: 'gptj-mini-code', prompt: '# Copyright', max_tokens: 5, temperature: 0 }),
        fresh.client.completions.create({ model: 'gptj-mini-code', prompt: 'def f(x):', max_tokens: 7, temperature: 0 }),
      ]);
      await post('/v1/completions', { prompt: 'x', temperature: -1 }, fresh.base);
      const res = await fetch(`${fresh.base}/metrics`);
      expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
      const text = await res.text();
      const value = (name: string) => Number(text.match(new RegExp(`^${name.replace(/[{}"/]/g, '\\$&')} (\\S+)$`, 'm'))?.[1]);
      const prompt = rs.reduce((a, r) => a + r.usage!.prompt_tokens, 0);
      expect(value('gptj_http_requests_total{endpoint="/v1/completions",status="200"}')).toBe(2);
      expect(value('gptj_http_requests_total{endpoint="/v1/completions",status="400"}')).toBe(1);
      expect(value('gptj_prompt_tokens_total')).toBe(prompt);
      expect(value('gptj_generated_tokens_total')).toBe(12);
      expect(value('gptj_time_to_first_token_seconds_count')).toBe(2);
      expect(value('gptj_inter_token_latency_seconds_count')).toBe(12 - 2);
      expect(value('gptj_queue_wait_seconds_count')).toBe(2);
      // a prefill step gives a request's first token, then a step per token: 7 steps if the two share all of theirs
      // (the longer one needs 7), 12 if they ran one after the other
      const steps = value('gptj_step_seconds_count');
      expect(steps).toBeGreaterThanOrEqual(7);
      expect(steps).toBeLessThanOrEqual(12);
      expect(value('gptj_step_sequences_count')).toBe(steps);
      expect(value('gptj_step_sequences_sum')).toBe(12); // each step advances its sequences by one token or one prefill
      expect(value('gptj_queue_depth')).toBe(0);
      expect(value('gptj_active_slots')).toBe(0);
      expect(value('gptj_slots')).toBe(4);
      expect(value('process_resident_memory_bytes')).toBeGreaterThan(0);
    } finally {
      await fresh.app.close();
    }
  });
});

describe('n and best_of as sibling sequences', () => {
  const prompt = 'def add(a, b):';
  const sampling = { maxNewTokens: 12, temperature: 0.9, seed: 7 };

  it("n samples are the library's numReturnSequences rows for the same seed, streamed or not", async () => {
    const tok = server.app.gptj.tokenizer;
    const want = await generateText(server.app.gptj.model, tok, tok.encode(prompt), { ...sampling, numReturnSequences: 3 });
    const r = await server.client.completions.create({ model: 'gptj-mini-code', prompt, max_tokens: 12, temperature: 0.9, seed: 7, n: 3 });
    expect(r.choices.map((c) => c.index)).toEqual([0, 1, 2]);
    expect(r.choices.map((c) => c.text)).toEqual(want.rows.map((row) => row.text));
    expect(r.usage!.completion_tokens).toBe(want.usage.completionTokens);
    expect(new Set(r.choices.map((c) => c.text)).size).toBeGreaterThan(1);
    expect(await streamed(server.client, { prompt, max_tokens: 12, temperature: 0.9, seed: 7, n: 3 })).toEqual(want.rows.map((row) => row.text));
  });

  it('best_of returns the siblings with the highest mean token logprob', async () => {
    const tok = server.app.gptj.tokenizer;
    const want = await generateText(server.app.gptj.model, tok, tok.encode(prompt), { ...sampling, numReturnSequences: 4, logprobs: true });
    const mean = (row: (typeof want.rows)[number]) => row.logprobs!.reduce((a, b) => a + b, 0) / row.logprobs!.length;
    const ranked = [...want.rows].sort((a, b) => mean(b) - mean(a)).map((row) => row.text);
    const r = await server.client.completions.create({ model: 'gptj-mini-code', prompt, max_tokens: 12, temperature: 0.9, seed: 7, n: 2, best_of: 4 });
    expect(r.choices.map((c) => c.text)).toEqual(ranked.slice(0, 2));
  });

  it('greedy n is n copies of the greedy completion; chat takes n too', async () => {
    const copyright = samples.find((s) => s.prompt === '# Copyright')!;
    const r = await server.client.completions.create({ model: 'gptj-mini-code', prompt: '# Copyright', max_tokens: 48, temperature: 0, n: 2 });
    expect(r.choices.map((c) => c.text)).toEqual([copyright.completion, copyright.completion]);
    expect(await streamed(server.client, { prompt: '# Copyright', max_tokens: 48, temperature: 0, n: 2 })).toEqual([
      copyright.completion,
      copyright.completion,
    ]);
    const chat = await server.client.chat.completions.create({
      model: 'gptj-mini-code',
      messages: [{ role: 'user', content: 'hi' }],
      max_tokens: 8,
      temperature: 0.8,
      seed: 3,
      n: 2,
    });
    expect(chat.choices.map((c) => c.index)).toEqual([0, 1]);
  });
});

describe('logprobs with stream: true', () => {
  it('completions chunks carry the tokens of their text with the non-streamed logprobs, top_logprobs and offsets', async () => {
    const body = { model: 'gptj-mini-code', prompt: 'def fibonacci(n):\n', max_tokens: 16, temperature: 0, logprobs: 2, stop: ['return'] };
    const whole = (await server.client.completions.create(body)).choices[0]!;
    const got = { tokens: [] as string[], token_logprobs: [] as number[], top_logprobs: [] as Record<string, number>[], text_offset: [] as number[] };
    let text = '';
    for await (const chunk of await server.client.completions.create({ ...body, stream: true })) {
      const c = chunk.choices[0]!;
      text += c.text;
      if (!c.logprobs) continue;
      got.tokens.push(...c.logprobs.tokens!);
      got.token_logprobs.push(...(c.logprobs.token_logprobs as number[]));
      got.top_logprobs.push(...(c.logprobs.top_logprobs as Record<string, number>[]));
      got.text_offset.push(...c.logprobs.text_offset!);
    }
    const want = whole.logprobs!;
    expect(text).toBe(whole.text);
    // the tokens spell the text (the last one may hold the start of the stop string, as without stream)
    expect(got.tokens.join('').startsWith(text)).toBe(true);
    expect(got.tokens).toEqual(want.tokens);
    expect(got.text_offset).toEqual(want.text_offset);
    got.token_logprobs.forEach((lp, j) => {
      expect(Math.abs(lp - want.token_logprobs![j]!)).toBeLessThan(1e-4);
    });
    got.top_logprobs.forEach((top, j) => {
      expect(Object.keys(top)).toEqual(Object.keys(want.top_logprobs![j]!));
      for (const [t, lp] of Object.entries(top)) expect(Math.abs(lp - want.top_logprobs![j]![t]!)).toBeLessThan(1e-4);
    });
  });

  it("chat chunks carry logprobs.content equal to the non-streamed reply's", async () => {
    const body = {
      model: 'gptj-mini-code',
      messages: [{ role: 'user' as const, content: 'Write a Python function' }],
      max_tokens: 10,
      temperature: 0,
      logprobs: true,
      top_logprobs: 3,
    };
    const want = (await server.client.chat.completions.create(body)).choices[0]!.logprobs!.content!;
    const got: typeof want = [];
    for await (const chunk of await server.client.chat.completions.create({ ...body, stream: true })) got.push(...(chunk.choices[0]?.logprobs?.content ?? []));
    expect(got.map((t) => [t.token, t.bytes, t.top_logprobs.map((a) => a.token)])).toEqual(
      want.map((t) => [t.token, t.bytes, t.top_logprobs.map((a) => a.token)]),
    );
    got.forEach((t, j) => {
      expect(Math.abs(t.logprob - want[j]!.logprob)).toBeLessThan(1e-4);
    });
  });
});
