// The load bench's default streaming client: a POST through node:http (a keep-alive agent, as the openai client keeps
// its connections) whose response is read as server-sent events. Every event is parsed (the WHATWG rules for the
// fields the server sends: `data:` lines, several joined by newlines, an event ended by a blank line, LF or CRLF line
// ends, `:` comments and other fields skipped) and its data handed on; `data: [DONE]` ends the stream. The clients run
// on the server's cores in the bench, and this one spends about 0.4 of the openai client's CPU per token (the openai
// client reads through fetch, web streams and its own line and SSE decoders); `--client openai` uses that instead.
import http from 'node:http';

const agent = new http.Agent({ keepAlive: true });

/** Splits text arriving in pieces into SSE events; `onData` gets each event's data (events without data are skipped). */
export class SseParser {
  #rest = '';
  #data = null;

  constructor(onData) {
    this.onData = onData;
  }

  push(text) {
    const s = this.#rest + text;
    let start = 0;
    for (let end = s.indexOf('\n'); end >= 0; end = s.indexOf('\n', start)) {
      this.#line(s.slice(start, end > start && s.charCodeAt(end - 1) === 13 ? end - 1 : end));
      start = end + 1;
    }
    this.#rest = s.slice(start);
  }

  #line(line) {
    if (line === '') {
      if (this.#data !== null) this.onData(this.#data);
      this.#data = null;
      return;
    }
    const colon = line.indexOf(':');
    if (colon === 0) return; // a comment
    const field = colon < 0 ? line : line.slice(0, colon);
    if (field !== 'data') return;
    const value = colon < 0 ? '' : line.slice(line.charCodeAt(colon + 1) === 32 ? colon + 2 : colon + 1);
    this.#data = this.#data === null ? value : `${this.#data}\n${value}`;
  }
}

/**
 * POSTs `body` (JSON) to `url` and calls `onChunk` with each event's parsed JSON until `data: [DONE]`. Rejects on a
 * status other than 200 (with the server's error message), on a stream that ends without `[DONE]`, and on `signal`.
 */
export function streamEvents(url, body, signal, onChunk) {
  const payload = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const request = http.request(
      url,
      {
        method: 'POST',
        agent,
        signal,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload), accept: 'text/event-stream' },
      },
      (response) => {
        response.setEncoding('utf8');
        if (response.statusCode !== 200) {
          let text = '';
          response.on('data', (s) => (text += s));
          response.on('end', () => reject(new Error(`${response.statusCode} ${text}`)));
          return;
        }
        let done = false;
        const parser = new SseParser((data) => {
          if (data === '[DONE]') done = true;
          else if (!done) onChunk(JSON.parse(data));
        });
        response.on('data', (s) => parser.push(s));
        response.on('end', () => (done ? resolve() : reject(new Error('the stream ended without data: [DONE]'))));
        response.on('error', reject);
      },
    );
    request.on('error', reject);
    request.end(payload);
  });
}
