// End to end for the feature routes: /v1/embeddings through the official openai client, completions' echo +
// logprobs shaped as lm-evaluation-harness's loglikelihood request, /tokenize and /detokenize, and their 400s.
import { describe, expect, it } from 'vitest';
import { AbortedError, embed, loglikelihood } from '@gptj/model';
import { fixturePath, readFixtureF32, readFixtureJson } from '@gptj/test-fixtures';
import { useListening } from './test-support/listening.js';
import { renderChat } from './chat-template.js';
import { MAX_EMBEDDING_INPUTS, MAX_EMBEDDING_TOKENS } from './embeddings.js';

const server = useListening();

async function post(path: string, body: unknown, at = server.base) {
  const res = await fetch(`${at}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, json: (await res.json()) as any };
}

async function expectBadRequest(path: string, body: unknown, param: string, words: RegExp) {
  const { status, json } = await post(path, body);
  expect(status).toBe(400);
  expect(json.error.type).toBe('invalid_request_error');
  expect(json.error.param).toBe(param);
  expect(json.error.message).toMatch(words);
}

const texts = ['def fibonacci(n):\n', 'import os\nimport sys', '# Copyright'];

describe('POST /v1/embeddings', () => {
  it("the openai client's embeddings.create returns the library's mean-pooled normalised vectors (float)", async () => {
    const res = await server.client.embeddings.create({ model: 'gptj-mini-code', input: texts, encoding_format: 'float' });
    const tok = server.app.gptj.tokenizer;
    const want = await embed(server.app.gptj.model, texts, { encode: (t) => tok.encode(t), pooling: 'mean', normalize: true });
    expect(res.data.map((d) => d.index)).toEqual([0, 1, 2]);
    res.data.forEach((d, i) => expect(Float32Array.from(d.embedding)).toEqual(want[i]));
    const tokens = texts.reduce((a, t) => a + tok.encode(t).length, 0);
    expect(res.usage).toEqual({ prompt_tokens: tokens, total_tokens: tokens });
    expect(res.model).toBe('gptj-mini-code');
  });

  it('base64 is the little-endian float32 bytes of the same vectors (the client decodes them)', async () => {
    const ids = server.app.gptj.tokenizer.encode(texts[0]!);
    const want = (await embed(server.app.gptj.model, [ids], { pooling: 'mean', normalize: true }))[0]!;
    const raw = await post('/v1/embeddings', { input: ids, encoding_format: 'base64' });
    const bytes = Buffer.from(raw.json.data[0].embedding as string, 'base64');
    expect(new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4)).toEqual(want);
    // the client asks for base64 by default and decodes it to numbers
    const res = await server.client.embeddings.create({ model: 'gptj-mini-code', input: [ids, ids] });
    expect(res.data).toHaveLength(2);
    expect(Float32Array.from(res.data[1]!.embedding)).toEqual(want);
  });

  it('a client that disconnects stops its embedding run between micro-batches (AbortedError), freeing the model', async () => {
    // the largest request allowed: seconds of work on the demo model, unless the disconnect stops it (one-digit
    // ids keep the body under fastify's 1 MiB limit)
    const width = Math.floor(MAX_EMBEDDING_TOKENS / MAX_EMBEDDING_INPUTS);
    const input = Array.from({ length: MAX_EMBEDDING_INPUTS }, (_, i) => Array.from({ length: width }, (_, j) => (i + j) % 10));
    const engine = server.app.gptj;
    const runs: Promise<unknown>[] = [];
    const withModel = engine.withModel.bind(engine);
    engine.withModel = (fn) => {
      const run = withModel(fn);
      runs.push(run);
      return run;
    };
    try {
      const client = new AbortController();
      const request = fetch(`${server.base}/v1/embeddings`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ input }),
        signal: client.signal,
      });
      let answered = false;
      void request.finally(() => (answered = true)).catch(() => {});
      while (runs.length === 0 && !answered) await new Promise((r) => setTimeout(r, 10));
      client.abort();
      await expect(request).rejects.toThrow(/abort/);
      const outcome = await runs[0]!.then(
        () => 'finished',
        (err: unknown) => err,
      );
      expect(outcome).toBeInstanceOf(AbortedError);
      expect((outcome as AbortedError).done).toBeLessThan(MAX_EMBEDDING_INPUTS);
    } finally {
      engine.withModel = withModel;
    }
  });

  it('refuses dimensions, another model, empty and out-of-vocabulary inputs, too many inputs and too long ones', async () => {
    await expectBadRequest(
      '/v1/embeddings',
      { input: 'x', dimensions: 64 },
      'dimensions',
      new RegExp(`not supported.*${server.app.gptj.model.config.nEmbd} dimensions`),
    );
    await expectBadRequest('/v1/embeddings', { input: ['a', ''] }, 'input', /input\[1\]: is empty/);
    await expectBadRequest(
      '/v1/embeddings',
      {
        input: [
          [1, 2],
          [3, 99999],
        ],
      },
      'input[1]',
      /99999 is not a token id/,
    );
    await expectBadRequest('/v1/embeddings', { input: [] }, 'input', /string, a non-empty array/);
    await expectBadRequest('/v1/embeddings', { input: 'x', encoding_format: 'int8' }, 'encoding_format', /allowed values/);
    await expectBadRequest('/v1/embeddings', { input: new Array(MAX_EMBEDDING_INPUTS + 1).fill('a') }, 'input', /at most 2048 inputs/);
    await expectBadRequest('/v1/embeddings', { input: new Array(server.app.gptj.maxLength + 1).fill(5) }, 'input', /more than the model's context/);
    const other = await post('/v1/embeddings', { input: 'x', model: 'text-embedding-3-small' });
    expect(other.status).toBe(404);
    expect(other.json.error.code).toBe('model_not_found');
  });
});

describe('/tokenize and /detokenize', () => {
  it('round-trip text through the loaded tokenizer', async () => {
    const { json } = await post('/tokenize', { content: 'def fibonacci(n):\n' });
    expect(json.tokens).toEqual([4299, 12900, 261, 44456, 7, 77, 2599, 198]); // the tokenizer README's GPT-2 ids
    expect((await post('/tokenize', { prompt: 'def fibonacci(n):\n' })).json.tokens).toEqual(json.tokens);
    expect((await post('/detokenize', { tokens: json.tokens })).json).toEqual({ content: 'def fibonacci(n):\n' });
  });

  it('refuses a missing text, both fields, and ids outside the vocabulary', async () => {
    await expectBadRequest('/tokenize', {}, 'content', /exactly one/);
    await expectBadRequest('/tokenize', { content: 'a', prompt: 'b' }, 'content', /exactly one/);
    await expectBadRequest('/detokenize', { tokens: [1, 50400] }, 'tokens', /tokens\[1\]: 50400 is not a token id in \[0, 50400\)/);
    await expectBadRequest('/detokenize', { tokens: [-1] }, 'tokens.0', />= 0/);
  });
});

describe('completions logprobs and echo (mini-code)', () => {
  const prompt = 'def fibonacci(n):\n    return';

  it("lm-evaluation-harness's loglikelihood request (echo, logprobs 1, max_tokens 0) gets the library's loglikelihood, as text and as ids", async () => {
    const ids = server.app.gptj.tokenizer.encode(prompt);
    const [want] = await loglikelihood(server.app.gptj.model, [{ context: ids.slice(0, 1), continuation: ids.slice(1) }], { topLogprobs: 1 });
    for (const p of [prompt, ids, [ids]]) {
      const { status, json } = await post('/v1/completions', {
        model: 'gptj-mini-code',
        prompt: p,
        echo: true,
        logprobs: 1,
        max_tokens: 0,
        temperature: 0,
        seed: 1234,
      });
      expect(status).toBe(200);
      const c = json.choices[0];
      expect(c.text).toBe(prompt);
      expect(c.logprobs.tokens).toEqual(ids.map((id) => server.app.gptj.tokenizer.decode([id])));
      expect(c.logprobs.token_logprobs[0]).toBeNull();
      expect(c.logprobs.top_logprobs[0]).toBeNull();
      c.logprobs.token_logprobs.slice(1).forEach((lp: number, j: number) => expect(Math.abs(lp - want!.tokenLogprobs[j]!)).toBeLessThan(1e-4));
      // the harness's is_greedy: each token's logprob equals the largest of its top_logprobs
      const greedy = c.logprobs.top_logprobs
        .slice(1)
        .every((top: Record<string, number>, j: number) => Math.max(...Object.values(top)) === c.logprobs.token_logprobs[j + 1]);
      expect(greedy).toBe(want!.isGreedy);
      expect(c.logprobs.text_offset).toEqual(c.logprobs.tokens.map((_: string, j: number) => c.logprobs.tokens.slice(0, j).join('').length));
      expect(json.usage).toEqual({ prompt_tokens: ids.length, completion_tokens: 0, total_tokens: ids.length });
    }
  });

  it("the harness's current shape (max_tokens 1, batched [[ids]], read as token_logprobs[ctxlen:-1]) scores a context/continuation pair", async () => {
    const tok = server.app.gptj.tokenizer;
    const context = tok.encode('def fibonacci(n):\n');
    const continuation = tok.encode('    return n');
    const [want] = await loglikelihood(server.app.gptj.model, [{ context, continuation }], { topLogprobs: 1 });
    const { json } = await post('/v1/completions', {
      model: 'gptj-mini-code',
      prompt: [[...context, ...continuation]],
      temperature: 0,
      max_tokens: 1,
      logprobs: 1,
      seed: 1234,
      echo: true,
    });
    const lp = json.choices[0].logprobs;
    const mine: number[] = lp.token_logprobs.slice(context.length, -1);
    expect(mine).toHaveLength(continuation.length);
    expect(Math.abs(mine.reduce((a, x) => a + x, 0) - want!.logprob)).toBeLessThan(1e-4);
    const greedy = lp.top_logprobs.slice(context.length, -1).every((top: Record<string, number>, j: number) => mine[j] === Math.max(...Object.values(top)));
    expect(greedy).toBe(want!.isGreedy);
  });

  it('generated tokens get their raw logprobs, top-N alternatives and offsets after the prompt; several prompts give several choices', async () => {
    const { json } = await post('/v1/completions', { prompt: [prompt, '# Copyright'], logprobs: 3, max_tokens: 4, temperature: 0 });
    expect(json.choices.map((c: { index: number }) => c.index)).toEqual([0, 1]);
    const c = json.choices[0];
    const ids = server.app.gptj.tokenizer.encode(prompt);
    const gen = server.app.gptj.tokenizer.encode(c.text);
    const [want] = await loglikelihood(server.app.gptj.model, [{ context: ids, continuation: gen }], { topLogprobs: 3 });
    expect(c.logprobs.tokens.join('')).toBe(c.text);
    expect(c.logprobs.text_offset[0]).toBe(prompt.length);
    c.logprobs.token_logprobs.forEach((lp: number, j: number) => expect(Math.abs(lp - want!.tokenLogprobs[j]!)).toBeLessThan(1e-4));
    for (const top of c.logprobs.top_logprobs) expect(Object.keys(top)).toHaveLength(3);
    // temperature 0: each generated token is the most likely one
    c.logprobs.top_logprobs.forEach((top: Record<string, number>, j: number) => expect(Math.max(...Object.values(top))).toBe(c.logprobs.token_logprobs[j]));
  });

  it('with a stop string, the logprobs cover the returned text, not the tokens that formed the stop string', async () => {
    const { json } = await post('/v1/completions', { prompt: '# Copyright', logprobs: 1, max_tokens: 24, temperature: 0, stop: ' Meta' });
    const c = json.choices[0];
    expect([c.finish_reason, c.text]).toEqual(['stop', ' (c)']);
    expect(c.logprobs.tokens.join('')).toBe(c.text);
    expect(c.logprobs.token_logprobs).toHaveLength(c.logprobs.tokens.length);
  });

  it('refuses logprobs above 5, echo/several prompts with stream, and a prompt past the context', async () => {
    await expectBadRequest('/v1/completions', { prompt: 'a', logprobs: 6 }, 'logprobs', /from 0 to 5/);
    await expectBadRequest('/v1/completions', { prompt: 'a', echo: true, stream: true }, 'echo', /not supported with stream/);
    await expectBadRequest('/v1/completions', { prompt: ['a', 'b'], stream: true }, 'prompt', /several prompts/);
    await expectBadRequest('/v1/completions', { prompt: [[1], []] }, 'prompt', /string, a non-empty array/);
    await expectBadRequest(
      '/v1/completions',
      { prompt: new Array(server.app.gptj.maxLength + 1).fill(5), echo: true, max_tokens: 0 },
      'max_tokens',
      /maximum context length/,
    );
  });
});

describe('chat completions logprobs', () => {
  it("logprobs: true with top_logprobs gives each reply token's library logprob and its alternatives", async () => {
    const messages = [{ role: 'user' as const, content: 'Write a Python function' }];
    const res = await server.client.chat.completions.create({
      model: 'gptj-mini-code',
      messages,
      logprobs: true,
      top_logprobs: 2,
      max_tokens: 6,
      temperature: 0,
    });
    const content = res.choices[0]!.logprobs!.content!;
    expect(content.length).toBeGreaterThan(0);
    expect(
      content
        .map((t) => t.token)
        .join('')
        .trimStart(),
    ).toBe(res.choices[0]!.message.content);
    const tok = server.app.gptj.tokenizer;
    const prompt = tok.encode(renderChat(messages));
    const ids = content.map((t) => tok.encode(t.token)).flat();
    const [want] = await loglikelihood(server.app.gptj.model, [{ context: prompt, continuation: ids }], { topLogprobs: 2 });
    content.forEach((t, j) => {
      expect(Math.abs(t.logprob - want!.tokenLogprobs[j]!)).toBeLessThan(1e-4);
      expect(t.top_logprobs.map((a) => a.token)).toEqual(want!.topLogprobs![j]!.map((a) => tok.decode([a.token])));
      expect(t.bytes).toEqual([...Buffer.from(t.token)]);
    });
  });

  it('refuses top_logprobs without logprobs and above 20', async () => {
    const messages = [{ role: 'user', content: 'hi' }];
    await expectBadRequest('/v1/chat/completions', { messages, top_logprobs: 2 }, 'top_logprobs', /needs logprobs: true/);
    await expectBadRequest('/v1/chat/completions', { messages, logprobs: true, top_logprobs: 21 }, 'top_logprobs', /<= 20/);
  });
});

describe('echo logprobs against the fixture logits (transformers, gptj-small-f32)', () => {
  interface Case {
    name: string;
    input_ids: number[][];
    logits?: { file: string };
  }
  const ref = readFixtureJson<{ cases: Case[] }>('gptj-small-f32', 'reference.json');
  const small = useListening({ modelDir: fixturePath('gptj-small-f32'), device: 'cpu' });

  it('seq-40: token_logprobs[j] = log_softmax(logits[j-1])[ids[j]] within 1e-4, top_logprobs its argmax', async () => {
    const c = ref.cases.find((x) => x.name === 'seq-40')!;
    const ids = c.input_ids[0]!;
    const logits = readFixtureF32('gptj-small-f32', c.logits!.file);
    const V = 512;
    const { status, json } = await post('/v1/completions', { prompt: [ids], echo: true, logprobs: 1, max_tokens: 0 }, small.base);
    expect(status).toBe(200);
    const lp = json.choices[0].logprobs;
    expect(lp.token_logprobs[0]).toBeNull();
    for (let j = 1; j < ids.length; j++) {
      const row = Array.from(logits.subarray((j - 1) * V, j * V));
      const max = Math.max(...row);
      const lse = max + Math.log(row.reduce((a, x) => a + Math.exp(x - max), 0));
      expect(Math.abs(lp.token_logprobs[j] - (row[ids[j]!]! - lse))).toBeLessThan(1e-4);
      expect(Math.abs((Object.values(lp.top_logprobs[j])[0] as number) - (max - lse))).toBeLessThan(1e-4);
    }
  });
});
