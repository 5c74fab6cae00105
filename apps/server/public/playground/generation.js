// One generation against /v1/completions or /v1/chat/completions, streamed or whole, with its timings: time to
// first token, tokens, and speed. Stopping (aborting the fetch) ends it with what had arrived; the server sees the
// connection close and frees the model for the next request.
import { sseEvents } from './sse.js';
import { tokensOf } from './tokens.js';

// Relative to the page, so that the playground also works behind a proxy that serves the server under a path prefix.
export const ENDPOINTS = { completion: 'v1/completions', chat: 'v1/chat/completions' };

/** The server refused the request or failed: its status and message. */
class ApiError extends Error {
  constructor(status, message) {
    super(`${status}: ${message}`);
    this.name = 'ApiError';
  }
}

async function post(mode, body, signal) {
  const res = await fetch(ENDPOINTS[mode], { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), signal });
  if (res.ok) return res;
  const text = await res.text();
  let message;
  try {
    message = JSON.parse(text).error?.message;
  } catch {
    // not the API's JSON (a proxy's error page...): its text, shortened
  }
  throw new ApiError(res.status, message ?? (text.slice(0, 300) || res.statusText));
}

/** The generated text of a choice, whole (`message`, `text`) or a streamed piece (`delta`). */
function textOf(choice) {
  return choice.delta?.content ?? choice.message?.content ?? choice.text ?? '';
}

/** The probability fields of a request: completions want a count, chat a flag and a count. */
function logprobFields(mode, alternatives) {
  return mode === 'chat' ? { logprobs: true, top_logprobs: alternatives } : { logprobs: alternatives };
}

/** The JSON body a generation sends: the prompt or messages, the settings, the probability fields and `stream`. */
export function requestJson({ mode, body, stream, alternatives }) {
  return { ...body, ...(alternatives === null ? {} : logprobFields(mode, alternatives)), stream };
}

/**
 * Runs one request. `body` holds the prompt or messages and the sampling fields; `alternatives` (a number, or null
 * for none) asks for token probabilities; `onPiece(index, { text, tokens })` gets each piece of choice `index` as it
 * arrives (`tokens` is [] without probabilities). Resolves to `{ choices: [{ text, tokens, finish }], stats }`,
 * finish being the API's finish_reason or 'stopped'; throws ApiError when the server refuses.
 */
export async function generate({ mode, body, stream, alternatives, signal, onPiece }) {
  const request = requestJson({ mode, body, stream, alternatives });
  const start = performance.now();
  const choices = [];
  let first = null;
  let pieces = 0;
  let usage = null;
  const take = (choice) => {
    const index = choice.index ?? 0;
    choices[index] ??= { text: '', tokens: [], finish: null };
    const c = choices[index];
    c.finish = choice.finish_reason ?? c.finish;
    const piece = { text: textOf(choice), tokens: tokensOf(choice.logprobs) };
    if (piece.text === '' && piece.tokens.length === 0) return;
    first ??= performance.now();
    pieces++;
    c.text += piece.text;
    c.tokens = c.tokens.concat(piece.tokens);
    onPiece(index, piece);
  };
  try {
    const res = await post(mode, request, signal);
    if (stream) {
      for await (const chunk of sseEvents(res)) {
        chunk.choices.forEach(take);
        usage = chunk.usage ?? usage;
      }
    } else {
      const whole = await res.json();
      whole.choices.forEach(take);
      usage = whole.usage;
    }
  } catch (err) {
    if (!signal.aborted) throw err;
  }
  const end = performance.now();
  const done = Array.from(choices, (c) => ({ ...(c ?? { text: '', tokens: [] }), finish: c?.finish ?? 'stopped' }));
  const count = usage?.completion_tokens ?? (done.reduce((n, c) => n + c.tokens.length, 0) || pieces);
  return { choices: done, stats: timings(start, first, end, count, done.length, stream) };
}

/**
 * Streamed, speed is the decode rate after each choice's first token (the prompt's processing is in the time to
 * first token); whole, it is the tokens over the whole request time, and there is no separate first token.
 */
function timings(start, first, end, tokens, choices, streamed) {
  const ttftMs = streamed && first !== null ? first - start : null;
  const decoded = streamed && first !== null && tokens > choices;
  const seconds = (decoded ? end - first : end - start) / 1000;
  const rated = decoded ? tokens - choices : tokens;
  return { ttftMs, totalMs: end - start, tokens, tokensPerSecond: seconds > 0 && rated > 0 ? rated / seconds : null };
}
