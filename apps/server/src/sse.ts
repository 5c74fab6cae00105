// Server-sent events on a hijacked fastify reply: `data: <json>\n\n` per chunk, `data: [DONE]` at the end. Headers
// go out with the first chunk, so errors raised before any output can still be answered as plain JSON.
import type { FastifyReply } from 'fastify';

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
