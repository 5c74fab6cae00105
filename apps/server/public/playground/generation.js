// One generation against /v1/completions or /v1/chat/completions, streamed or whole, with its timings: time to
// first token, tokens, and speed. Stopping (aborting the fetch) ends it with what had arrived; the server sees the
// connection close and frees the model for the next request.
import { sseEvents } from './sse.js';
import { tokensOf } from './tokens.js';

export const ENDPOINTS = { completion: '/v1/completions', chat: '/v1/chat/completions' };

/** The server refused the request or failed; `param` names the request field it blamed, when it did. */
export class ApiError extends Error {
  constructor(status, message, param) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.param = param ?? null;
  }
}

async function post(mode, body, signal) {
  const res = await fetch(ENDPOINTS[mode], { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), signal });
  if (res.ok) return res;
  const text = await res.text();
  let error;
  try {
    error = JSON.parse(text).error;
  } catch {
    error = { message: text.slice(0, 300) || res.statusText };
  }
  throw new ApiError(res.status, `${res.status}: ${error.message}`, error.param);
}

/** The generated text of a choice, whole (`message`, `text`) or a streamed piece (`delta`). */
function textOf(choice) {
  return choice.delta?.content ?? choice.message?.content ?? choice.text ?? '';
}

/** The probability fields of a request: completions want a count, chat a flag and a count. */
function logprobFields(mode, alternatives) {
  return mode === 'chat' ? { logprobs: true, top_logprobs: alternatives } : { logprobs: alternatives };
}

/**
 * Runs one request. `body` holds the prompt or messages and the sampling fields; `alternatives` (a number, or null
 * for none) asks for token probabilities; `onPiece({ text, tokens })` gets each piece as it arrives (`tokens` is []
 * without probabilities). Resolves to `{ text, tokens, finish, stats }`, finish being the API's finish_reason or
 * 'stopped'; throws ApiError when the server refuses.
 */
export async function generate({ mode, body, stream, alternatives, signal, onPiece }) {
  const request = { ...body, ...(alternatives === null ? {} : logprobFields(mode, alternatives)), stream };
  const start = performance.now();
  let first = null;
  let text = '';
  let tokens = [];
  let pieces = 0;
  let usage = null;
  let finish = null;
  const take = (choice) => {
    const piece = { text: textOf(choice), tokens: tokensOf(choice.logprobs) };
    if (piece.text === '' && piece.tokens.length === 0) return;
    first ??= performance.now();
    pieces++;
    text += piece.text;
    tokens = tokens.concat(piece.tokens);
    onPiece(piece);
  };
  try {
    const res = await post(mode, request, signal);
    if (stream) {
      for await (const chunk of sseEvents(res)) {
        const choice = chunk.choices[0];
        if (choice) take(choice);
        finish = choice?.finish_reason ?? finish;
        usage = chunk.usage ?? usage;
      }
    } else {
      const whole = await res.json();
      take(whole.choices[0]);
      finish = whole.choices[0].finish_reason;
      usage = whole.usage;
    }
  } catch (err) {
    if (!signal.aborted) throw err;
    finish = 'stopped';
  }
  const end = performance.now();
  const count = usage?.completion_tokens ?? (tokens.length || pieces);
  return { text, tokens, finish: finish ?? 'stopped', stats: timings(start, first, end, count, stream) };
}

/**
 * Streamed, speed is the decode rate after the first token (the prompt's processing is in the time to first
 * token); whole, it is the tokens over the whole request time, and there is no separate first token.
 */
function timings(start, first, end, tokens, streamed) {
  const ttftMs = streamed && first !== null ? first - start : null;
  const seconds = streamed && first !== null && tokens > 1 ? (end - first) / 1000 : (end - start) / 1000;
  const rated = streamed && tokens > 1 ? tokens - 1 : tokens;
  return { ttftMs, totalMs: end - start, tokens, tokensPerSecond: seconds > 0 && rated > 0 ? rated / seconds : null };
}
