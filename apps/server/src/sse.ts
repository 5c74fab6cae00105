// Server-sent events on a hijacked fastify reply: `data: <json>\n\n` per chunk, `data: [DONE]` at the end. Headers
// go out with the first chunk, so errors raised before any output can still be answered as plain JSON.
import type { FastifyReply } from 'fastify';

/** Stands for the one string an SseTemplate's chunk varies in. */
export const SSE_SLOT = '\u0000sse-slot\u0000';
const SLOT_JSON = JSON.stringify(SSE_SLOT);

/**
 * The event of a chunk that differs from one token to the next only in one string (the streamed text): the chunk,
 * built with SSE_SLOT in that place, is serialized once into the text before and after the string, and each event is
 * before + JSON.stringify(value) + after, the same bytes as `data: ${JSON.stringify(chunk)}\n\n` with the value in
 * place, without building and serializing the whole chunk per token. The slot is found by its last occurrence, so
 * fields before it (a model name) may hold anything; the fields after it must not hold SSE_SLOT.
 */
export class SseTemplate {
  private readonly before: string;
  private readonly after: string;

  constructor(chunk: unknown) {
    const json = JSON.stringify(chunk);
    const at = json.lastIndexOf(SLOT_JSON);
    if (at < 0) throw new Error('SseTemplate: the chunk holds no SSE_SLOT');
    this.before = `data: ${json.slice(0, at)}`;
    this.after = `${json.slice(at + SLOT_JSON.length)}\n\n`;
  }

  event(value: string): string {
    return this.before + JSON.stringify(value) + this.after;
  }
}

export class SseWriter {
  private started = false;

  constructor(private readonly reply: FastifyReply) {}

  get hasStarted(): boolean {
    return this.started;
  }

  send(data: unknown): void {
    this.begin();
    this.write(`data: ${JSON.stringify(data)}\n\n`);
  }

  /** send() of the template's chunk with `value` in its slot. */
  sendIn(template: SseTemplate, value: string): void {
    this.begin();
    this.write(template.event(value));
  }

  /** Writes `data: [DONE]` and ends the response. */
  done(): void {
    this.begin();
    this.write('data: [DONE]\n\n');
    this.reply.raw.end();
  }

  /** Ends the stream with an error event (after output has started, a status code can no longer be sent). */
  fail(body: unknown): void {
    this.send(body);
    this.reply.raw.end();
  }

  private begin(): void {
    if (this.started) return;
    this.started = true;
    this.reply.hijack();
    this.reply.raw.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
    });
  }

  private write(text: string): void {
    // The client may have gone away: its 'close' aborts the generation, remaining writes are dropped.
    if (!this.reply.raw.destroyed) this.reply.raw.write(text);
  }
}
