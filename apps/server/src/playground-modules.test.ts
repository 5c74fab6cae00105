// The playground's browser modules that need no page (public/playground/*.js, plain ES modules): the SSE reader, the
// logprobs shapes, the fitting of tokens to the returned text, the percentages and the settings' parsing. The page
// as a whole runs in playground.browser.test.ts.
import { afterEach, describe, expect, it, vi } from 'vitest';
// @ts-expect-error: plain browser JavaScript without type declarations
import { generate } from '../public/playground/generation.js';
// @ts-expect-error: plain browser JavaScript without type declarations
import { OptionError, readOptions } from '../public/playground/options.js';
// @ts-expect-error: plain browser JavaScript without type declarations
import { sseEvents } from '../public/playground/sse.js';
// @ts-expect-error: plain browser JavaScript without type declarations
import { fitTokens, percent, tokensOf } from '../public/playground/tokens.js';

interface Token {
  text: string;
  logprob: number;
  top: { text: string; logprob: number }[];
}

const tok = (text: string, logprob = -0.5): Token => ({ text, logprob, top: [] });

/** A Response whose body arrives in the given pieces. */
function streamed(pieces: string[]): Response {
  const bytes = new TextEncoder();
  return new Response(
    new ReadableStream({
      start(c) {
        for (const p of pieces) c.enqueue(bytes.encode(p));
        c.close();
      },
    }),
  );
}

async function all(response: Response): Promise<unknown[]> {
  const out = [];
  for await (const e of sseEvents(response)) out.push(e);
  return out;
}

describe('sseEvents', () => {
  it('reassembles events cut anywhere across reads, even inside a multi-byte character, and stops at [DONE]', async () => {
    const text = 'data: {"t":"a"}\n\ndata: {"t":"é€"}\n\ndata: [DONE]\n\ndata: {"t":"after"}\n\n';
    const bytes = new TextEncoder().encode(text);
    for (let cut = 1; cut < bytes.length; cut++) {
      const res = new Response(
        new ReadableStream({
          start(c) {
            c.enqueue(bytes.slice(0, cut));
            c.enqueue(bytes.slice(cut));
            c.close();
          },
        }),
      );
      expect(await all(res)).toEqual([{ t: 'a' }, { t: 'é€' }]);
    }
  });

  it('throws the message of an error event sent after the stream began', async () => {
    await expect(all(streamed(['data: {"t":"a"}\n\n', 'data: {"error":{"message":"model crashed"}}\n\n']))).rejects.toThrow('model crashed');
  });
});

describe('generate', () => {
  afterEach(() => {
    vi.unstubAllGlobals();
  });

  const refusedWith = async (response: Response) => {
    vi.stubGlobal('fetch', async () => response);
    const request = { mode: 'completion', body: { prompt: 'x' }, stream: false, alternatives: null, signal: new AbortController().signal, onPiece: () => {} };
    return generate(request).then(
      () => 'resolved',
      (err: Error) => `${err.name}: ${err.message}`,
    );
  };

  it("says the status and the API's message, or the text of a reply that is not the API's error", async () => {
    const json = { headers: { 'content-type': 'application/json' } };
    expect(await refusedWith(new Response(JSON.stringify({ error: { message: 'max_tokens: too many' } }), { status: 400, ...json }))).toBe(
      'ApiError: 400: max_tokens: too many',
    );
    expect(await refusedWith(new Response(JSON.stringify({ detail: 'nope' }), { status: 422, ...json }))).toBe('ApiError: 422: {"detail":"nope"}');
    expect(await refusedWith(new Response('<h1>502 Bad Gateway</h1>', { status: 502 }))).toBe('ApiError: 502: <h1>502 Bad Gateway</h1>');
  });
});

describe('tokensOf', () => {
  it('reads legacy completions logprobs, alternatives most likely first', () => {
    const lp = {
      tokens: [' a', 'b'],
      token_logprobs: [-0.1, -2],
      top_logprobs: [
        { ' x': -3, ' a': -0.1 },
        { b: -2, c: -1 },
      ],
      text_offset: [0, 2],
    };
    expect(tokensOf(lp)).toEqual([
      {
        text: ' a',
        logprob: -0.1,
        top: [
          { text: ' a', logprob: -0.1 },
          { text: ' x', logprob: -3 },
        ],
      },
      {
        text: 'b',
        logprob: -2,
        top: [
          { text: 'c', logprob: -1 },
          { text: 'b', logprob: -2 },
        ],
      },
    ]);
  });

  it("reads chat's logprobs.content and nothing from a null", () => {
    const lp = { content: [{ token: 'hi', logprob: -1, bytes: [104, 105], top_logprobs: [{ token: 'hi', logprob: -1, bytes: [104, 105] }] }], refusal: null };
    expect(tokensOf(lp)).toEqual([{ text: 'hi', logprob: -1, top: [{ text: 'hi', logprob: -1 }] }]);
    expect(tokensOf(null)).toEqual([]);
  });
});

describe('fitTokens', () => {
  it('cuts the last token where the text stopped (it held the start of a stop sequence)', () => {
    expect(fitTokens([tok('x'), tok(' = 1'), tok('\n\n')], 'x = 1\n').map((t: Token) => t.text)).toEqual(['x', ' = 1', '\n']);
  });

  it("drops the whitespace a chat reply's content does not have", () => {
    const fitted = fitTokens([tok(' '), tok(' Hi', -1), tok('!', -2)], 'Hi!');
    expect(fitted).toEqual([tok('Hi', -1), tok('!', -2)]);
  });

  it('keeps tokens that do not spell the text as they are', () => {
    const tokens = [tok('a'), tok('b')];
    expect(fitTokens(tokens, 'zz')).toBe(tokens);
  });
});

describe('percent', () => {
  it('prints about three significant digits, and never 100% for a probability below 1', () => {
    expect([Math.log(0.5), Math.log(0.0325), Math.log(0.000412), Math.log(0.99999), 0].map(percent)).toEqual(['50.0%', '3.25%', '0.0412%', '>99.9%', '100.0%']);
  });
});

describe('readOptions', () => {
  const inputs = (values: Record<string, string>) =>
    Object.fromEntries(
      ['max_tokens', 'temperature', 'top_p', 'top_k', 'presence_penalty', 'frequency_penalty', 'seed', 'n', 'best_of', 'stop', 'logit_bias'].map((f) => [
        f,
        { value: values[f] ?? '', validity: { badInput: values[f] === 'bad' } },
      ]),
    );
  const noTokenizer = () => Promise.reject(new Error('not called'));

  it('sends only the fields that are set, stop sequences with \\n escapes, and bias texts as their token ids', async () => {
    const tokenize = async (text: string) => (text === ' def' ? [825] : [1, 2]);
    const body = await readOptions(
      inputs({ max_tokens: '32', temperature: '0', top_k: '40', stop: '\\n\\n\n \nend', logit_bias: '{"50256": -100, " def": 5}' }),
      'chat',
      tokenize,
    );
    expect(body).toEqual({ max_tokens: 32, temperature: 0, top_k: 40, stop: ['\n\n', ' ', 'end'], logit_bias: { 50256: -100, 825: 5 } });
  });

  it('sends n and best_of in completion mode only', async () => {
    const set = inputs({ n: '2', best_of: '3' });
    expect(await readOptions(set, 'completion', noTokenizer)).toEqual({ n: 2, best_of: 3 });
    expect(await readOptions(set, 'chat', noTokenizer)).toEqual({});
  });

  it.each([
    [{ max_tokens: '1.5' }, 'max tokens: must be a whole number, got 1.5'],
    [{ top_p: '0' }, 'top p: must be more than 0, got 0'],
    [{ temperature: '3' }, 'temperature: must be at most 2, got 3'],
    [{ seed: 'bad' }, 'seed: is not a number'],
    [{ stop: 'a\nb\nc\nd\ne' }, 'stop sequences: at most 4, got 5'],
    [{ logit_bias: '{"1": -100' }, 'logit bias: not valid JSON'],
    [{ logit_bias: '[1]' }, 'logit bias: must be a JSON object'],
    [{ logit_bias: '{"1": 200}' }, 'logit bias: the bias of "1" must be a number from -100 to 100'],
  ])('names the setting that is wrong: %j', async (values, message) => {
    const read = readOptions(inputs(values), 'completion', noTokenizer);
    await expect(read).rejects.toBeInstanceOf(OptionError);
    await expect(readOptions(inputs(values), 'completion', noTokenizer)).rejects.toThrow(message);
  });
});
