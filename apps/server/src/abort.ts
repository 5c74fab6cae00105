// A client that disconnects before its response is complete aborts its generation, which frees the model's session.
import type { FastifyReply } from 'fastify';

export function abortOnClose(reply: FastifyReply): AbortSignal {
  const controller = new AbortController();
  reply.raw.on('close', () => {
    if (!reply.raw.writableFinished) controller.abort();
  });
  return controller.signal;
}
