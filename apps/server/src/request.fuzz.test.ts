// Fuzzing the request path of the real app (schemas, body parser, option mapping, @gptj/sampling's validation, the
// error handler) with the mini-code model: random bodies built from the schemas' fields with edge values, wrong
// types, unknown keys, __proto__/constructor, deep nesting, and byte mutations of valid bodies, under every content
// type. Invariant: 200 with a well-formed completion, or a 4xx with the OpenAI error body; never a 5xx, never a hang.
import fc from 'fast-check';
import { fuzz, fuzzTimeoutMs } from '@gptj/test-fixtures/fuzz';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { SyncInjector, type InjectReply } from './test-support/inject-sync.js';

let injector: SyncInjector;
beforeAll(async () => {
  injector = await SyncInjector.start();
}, 60_000);
afterAll(async () => {
  await injector?.stop();
});

const edge = fc.constantFrom(
  0,
  -0,
  1,
  -1,
  2,
  0.5,
  4,
  1e-45,
  1e-46,
  -1e-46,
  1e-300,
  1e-40,
  3.4e38,
  3.5e38,
  -3.5e38,
  1e308,
  -1e308,
  2 ** 31,
  2 ** 32,
  4294967295,
  4294967296,
  2 ** 53,
  2 ** 53 + 2,
  100,
  -100,
  100.5,
  50256,
  50400,
  512,
  1e21,
);
const anyJson: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constant(null),
    fc.boolean(),
    edge,
    fc.double(),
    fc.integer(),
    fc.string({ maxLength: 20 }),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(fc.string({ maxLength: 10 }), tie('value'), { maxKeys: 4 }),
  ),
})).value;
/** Mostly values of the right kind, sometimes anything (rarely enough that many bodies are valid as a whole). */
const field = <T>(plausible: fc.Arbitrary<T>) => fc.oneof({ weight: 12, arbitrary: plausible }, { weight: 1, arbitrary: anyJson });
const real = (min: number, max: number) => fc.oneof({ weight: 4, arbitrary: fc.double({ min, max, noNaN: true }) }, { weight: 1, arbitrary: edge });

const samplingFields = {
  model: field(fc.constantFrom('gptj-mini-code', 'gpt-4', '', 'checkpoint')),
  // small by construction: each valid input generates a few tokens (the worker also cuts generation at 2 pieces)
  max_tokens: fc.oneof(
    { weight: 6, arbitrary: fc.integer({ min: 1, max: 4 }) },
    { weight: 1, arbitrary: fc.constantFrom(0, -1, 1.5, 100000, 1e308, '4', null, 2 ** 53) },
    { weight: 1, arbitrary: anyJson },
  ),
  temperature: field(real(0, 2)),
  top_p: field(real(0, 1)),
  presence_penalty: field(real(-2, 2)),
  frequency_penalty: field(real(-2, 2)),
  stop: field(
    fc.oneof(fc.string({ unit: 'binary', maxLength: 6 }), fc.array(fc.string({ unit: 'binary', maxLength: 4 }), { maxLength: 5 }), fc.constant(null)),
  ),
  seed: field(fc.oneof(fc.nat(), edge)),
  n: field(fc.constantFrom(1, 2, 3, 5)),
  logit_bias: field(fc.dictionary(fc.oneof(fc.nat({ max: 60000 }).map(String), fc.string({ maxLength: 4 })), real(-100, 100), { maxKeys: 3 })),
  stream: field(fc.boolean()),
  stream_options: field(fc.record({ include_usage: field(fc.boolean()) }, { requiredKeys: [] })),
  user: field(fc.string({ maxLength: 8 })),
};
// A prompt of thousands of characters costs ~50 ms of prefill per request: rare, so that the request path, not the
// model, takes the fuzzing time.
const promptLike = fc.oneof(
  { weight: 8, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 8, arbitrary: fc.constantFrom('# Copyright', 'def f(x):\n') },
  { weight: 1, arbitrary: fc.constant('x'.repeat(3000)) },
  {
    weight: 8,
    arbitrary: fc.array(fc.oneof({ weight: 8, arbitrary: fc.integer({ min: 0, max: 50399 }) }, { weight: 1, arbitrary: edge }), { minLength: 1, maxLength: 8 }),
  },
);
/** A prompt or embeddings input: one text or id array, or a list of them. */
const promptsLike = fc.oneof({ weight: 3, arbitrary: promptLike }, { weight: 1, arbitrary: fc.array(promptLike, { minLength: 0, maxLength: 3 }) });
const scoringFields = {
  echo: field(fc.boolean()),
  logprobs: field(fc.oneof(fc.integer({ min: 0, max: 6 }), fc.constant(null))),
  best_of: field(fc.constantFrom(1, 2, 3, 5)),
};
const completionBody = fc.record({ ...samplingFields, ...scoringFields, prompt: field(promptsLike) }, { requiredKeys: ['prompt'] });
const embeddingsBody = fc.record(
  {
    model: samplingFields.model,
    input: field(promptsLike),
    encoding_format: field(fc.constantFrom('float', 'base64', 'int8')),
    dimensions: field(fc.constantFrom(8, 256)),
    user: samplingFields.user,
  },
  { requiredKeys: ['input'] },
);
const tokenizeBody = fc.record(
  { content: field(fc.string({ unit: 'binary', maxLength: 40 })), prompt: field(fc.string({ maxLength: 8 })) },
  { requiredKeys: [] },
);
const detokenizeBody = fc.record({ tokens: field(fc.array(fc.oneof(fc.integer({ min: 0, max: 50399 }), edge), { maxLength: 8 })) }, { requiredKeys: [] });
const message = fc.record(
  {
    role: field(fc.constantFrom('system', 'user', 'assistant')),
    content: field(fc.string({ unit: 'binary', maxLength: 30 })),
    name: field(fc.string({ maxLength: 5 })),
  },
  { requiredKeys: ['role', 'content'] },
);
const chatBody = fc.record(
  {
    ...samplingFields,
    logprobs: field(fc.boolean()),
    top_logprobs: field(fc.integer({ min: 0, max: 21 })),
    messages: field(fc.array(message, { minLength: 1, maxLength: 3 })),
  },
  { requiredKeys: ['messages'] },
);
// Bodies valid field by field (edge values included: 1e-45, -100, 100...), so that generation, streaming and the
// float32 limits of @gptj/sampling run, not only the schema's 400s.
/** Doubles already float32 (a double drawn near 0 would underflow: that is the other generators' job). */
const validFields = {
  model: fc.constant('gptj-mini-code'),
  max_tokens: fc.integer({ min: 1, max: 4 }),
  temperature: fc.oneof(fc.double({ min: 0, max: 2, noNaN: true }).map(Math.fround), fc.constantFrom(0, 1e-45, 1e-40, 1e-30, 2)),
  top_p: fc.oneof(fc.double({ min: 1e-45, max: 1, noNaN: true }).map(Math.fround), fc.constantFrom(1, 1e-45, 1e-30)),
  presence_penalty: fc.oneof(fc.double({ min: -2, max: 2, noNaN: true }).map(Math.fround), fc.constantFrom(-2, 2, 1e-45)),
  frequency_penalty: fc.oneof(fc.double({ min: -2, max: 2, noNaN: true }).map(Math.fround), fc.constantFrom(-2, 2, -1e-45)),
  stop: fc.oneof(
    fc.string({ unit: 'binary', minLength: 1, maxLength: 4 }),
    fc.array(fc.string({ unit: 'binary', minLength: 1, maxLength: 4 }), { maxLength: 4 }),
    fc.constant(null),
  ),
  seed: fc.nat(),
  n: fc.constant(1),
  logit_bias: fc.dictionary(
    fc.nat({ max: 50399 }).map(String),
    fc.oneof(fc.double({ min: -100, max: 100, noNaN: true }).map(Math.fround), fc.constantFrom(-100, 100, 1e-45)),
    { maxKeys: 3 },
  ),
  stream: fc.boolean(),
  stream_options: fc.record({ include_usage: fc.boolean() }),
  user: fc.string({ maxLength: 8 }),
};
const validCompletion = fc.record(
  {
    ...validFields,
    max_tokens: fc.integer({ min: 0, max: 4 }),
    echo: fc.boolean(),
    logprobs: fc.oneof(fc.integer({ min: 0, max: 5 }), fc.constant(null)),
    prompt: fc.oneof(fc.string({ unit: 'binary', minLength: 0, maxLength: 40 }), fc.array(fc.integer({ min: 0, max: 50256 }), { minLength: 1, maxLength: 8 })),
  },
  { requiredKeys: ['prompt'] },
);
const validChat = fc.record(
  {
    ...validFields,
    logprobs: fc.boolean(),
    top_logprobs: fc.integer({ min: 0, max: 20 }),
    messages: fc.array(fc.record({ role: fc.constantFrom('system', 'user', 'assistant'), content: fc.string({ unit: 'binary', maxLength: 30 }) }), {
      minLength: 1,
      maxLength: 3,
    }),
  },
  { requiredKeys: ['messages'] },
);
const extraKeys = fc.oneof(
  { weight: 6, arbitrary: fc.constant({}) },
  { weight: 1, arbitrary: fc.dictionary(fc.oneof(fc.string({ maxLength: 8 }), fc.constantFrom('best_of', 'suffix', 'top_logprobs')), anyJson, { maxKeys: 2 }) },
);

/** JSON text of a body, with a __proto__ / constructor key spliced in at the top or inside the first message. */
function withKey(json: string, key: string, inMessage: boolean): string {
  const at = inMessage && json.includes('"messages":[{') ? json.indexOf('"messages":[{') + 13 : 1;
  const rest = json.slice(at);
  return `${json.slice(0, at)}"${key}":{"max_tokens":1}${rest.startsWith('}') ? '' : ','}${rest}`;
}

/** Byte mutations of a valid body: flips, truncation, insertion, a splice of two bodies. */
const mutation = fc.tuple(fc.constantFrom('flip', 'truncate', 'insert', 'splice'), fc.nat(), fc.nat(), fc.uint8Array({ minLength: 1, maxLength: 8 }));
function mutate(text: string, other: string, [kind, a, b, bytes]: [string, number, number, Uint8Array]): Buffer {
  const buf = Buffer.from(text);
  const i = buf.length === 0 ? 0 : a % buf.length;
  if (kind === 'flip') {
    if (buf.length > 0) buf[i]! ^= 1 << (b % 8);
    return buf;
  }
  if (kind === 'truncate') return buf.subarray(0, i);
  if (kind === 'insert') return Buffer.concat([buf.subarray(0, i), bytes, buf.subarray(i)]);
  const o = Buffer.from(other);
  return Buffer.concat([buf.subarray(0, i), o.subarray(o.length === 0 ? 0 : b % o.length)]);
}

const contentType = fc.oneof(
  { weight: 10, arbitrary: fc.constantFrom('application/json', 'application/json; charset=utf-8', 'text/plain;charset=UTF-8') },
  {
    weight: 1,
    arbitrary: fc.constantFrom('text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data', 'application/octet-stream', '', 'x/\u00e9', null),
  },
);
const completionJson = fc.tuple(completionBody, extraKeys).map(([b, x]) => JSON.stringify({ ...b, ...x }));
const chatJson = fc.tuple(chatBody, extraKeys).map(([b, x]) => JSON.stringify({ ...b, ...x }));
// Nesting depth: mostly shallow, sometimes up to 200,000 levels. A body that deep takes ~50 ms to refuse (it is
// 400 KB of brackets); drawn uniformly, such bodies took most of the fuzzing time, and 1 in 21 still reaches the limits.
const nesting = fc.oneof({ weight: 20, arbitrary: fc.integer({ min: 1, max: 256 }) }, { weight: 1, arbitrary: fc.integer({ min: 257, max: 200_000 }) });
const oddPayload = fc.oneof(
  fc.tuple(chatBody, fc.constantFrom('__proto__', 'constructor'), fc.boolean()).map(([b, k, m]) => withKey(JSON.stringify(b), k, m)),
  fc.tuple(completionBody, chatBody, mutation).map(([a, b, m]) => mutate(JSON.stringify(a), JSON.stringify(b), m)),
  fc.tuple(nesting, fc.constantFrom('[', '{"a":')).map(([d, open]) => `{"prompt":${open.repeat(d)}1${(open === '[' ? ']' : '}').repeat(d)}}`),
);
const anyRoute = fc.oneof(
  fc.constantFrom(
    '/v1/completions',
    '/v1/chat/completions',
    '/v1/models',
    '/v1/models/gpt-4',
    '/v1/models/gptj-mini-code',
    '/',
    '/v1/completions?x=1',
    '/v1/embeddings',
    '/tokenize',
    '/detokenize',
  ),
  fc.string({ maxLength: 12 }).map((s) => `/v1/${encodeURIComponent(s)}`),
);
/** [method, url, payload]: mostly a body for its own endpoint, then odd payloads, then anything anywhere. */
const request = fc.oneof(
  { weight: 3, arbitrary: validCompletion.map((b) => ['POST', '/v1/completions', JSON.stringify(b)] as const) },
  { weight: 3, arbitrary: validChat.map((b) => ['POST', '/v1/chat/completions', JSON.stringify(b)] as const) },
  { weight: 4, arbitrary: completionJson.map((b) => ['POST', '/v1/completions', b] as const) },
  { weight: 4, arbitrary: chatJson.map((b) => ['POST', '/v1/chat/completions', b] as const) },
  { weight: 3, arbitrary: embeddingsBody.map((b) => ['POST', '/v1/embeddings', JSON.stringify(b)] as const) },
  { weight: 1, arbitrary: tokenizeBody.map((b) => ['POST', '/tokenize', JSON.stringify(b)] as const) },
  { weight: 1, arbitrary: detokenizeBody.map((b) => ['POST', '/detokenize', JSON.stringify(b)] as const) },
  {
    weight: 4,
    arbitrary: fc
      .tuple(fc.constantFrom('/v1/completions', '/v1/chat/completions', '/v1/embeddings', '/tokenize', '/detokenize'), oddPayload)
      .map(([u, b]) => ['POST', u, b] as const),
  },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.constantFrom('GET', 'POST', 'PUT', 'DELETE'), anyRoute, fc.oneof(completionJson, chatJson, oddPayload))
      .map(([m, u, b]) => [m, u, b] as const),
  },
);

/** The invariant: a completion, a stream, or an OpenAI-shaped 4xx. Returns a description of the violation, or null. */
function violation(r: InjectReply): string | null {
  if (r.status === -1) return `inject threw: ${r.body}`;
  if (r.status >= 500) return `status ${r.status}: ${r.body}`;
  if (r.status === 200 && r.contentType?.startsWith('text/event-stream')) {
    const events = r.body.split('\n\n').filter(Boolean);
    if (!events.every((e) => e.startsWith('data: '))) return 'an SSE event without data:';
    for (const e of events.slice(0, -1)) {
      const data = JSON.parse(e.slice(6)) as { error?: { type?: string } };
      if (data.error) return `an error inside the stream: ${e}`;
    }
    return events.at(-1) === 'data: [DONE]' ? null : `the stream does not end with [DONE]: ${events.at(-1)}`;
  }
  let body: any;
  try {
    body = JSON.parse(r.body);
  } catch {
    return r.status === 200 && r.contentType?.startsWith('text/html') ? null : `status ${r.status} with a body that is not JSON: ${r.body.slice(0, 200)}`;
  }
  if (r.status === 200) {
    const ok =
      body.object === 'list' || body.object === 'model' || Array.isArray(body.choices) || Array.isArray(body.tokens) || typeof body.content === 'string';
    return ok ? null : `200 without choices, data, tokens or content: ${r.body}`;
  }
  const e = body?.error;
  const shaped =
    e &&
    Object.keys(body).length === 1 &&
    typeof e.message === 'string' &&
    e.message.length > 0 &&
    e.type === 'invalid_request_error' &&
    (e.param === null || typeof e.param === 'string') &&
    (e.code === null || typeof e.code === 'string');
  return r.status >= 400 && r.status < 500 && shaped ? null : `status ${r.status} without the OpenAI error shape: ${r.body}`;
}

describe('fuzz: the server request path', () => {
  it(
    'random and mutated bodies: 200 or an OpenAI-shaped 4xx, never a 5xx or a hang',
    () => {
      fuzz(
        'server-requests',
        [request, contentType],
        ([method, url, body], type) => {
          const headers: Record<string, string> = type === null ? {} : { 'content-type': type };
          const problem = violation(injector.inject({ method, url, headers, payload: method === 'GET' ? undefined : body }, 20_000));
          if (problem !== null) {
            console.error(`server-requests: ${problem}`); // the driver's report shows the input, not this
            throw new Error(problem);
          }
        },
        { maxMsPerInput: 20_000 },
      );
    },
    fuzzTimeoutMs,
  );
});
