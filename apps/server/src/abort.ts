// A client that disconnects before its response is complete aborts its generation, which frees its slot.
import type { FastifyReply } from 'fastify';

export function abortOnClose(reply: FastifyReply): AbortSignal {
  const controller = new AbortController();
  reply.raw.on('close', () => {
    if (!reply.raw.writableFinished) controller.abort();
  });
  return controller.signal;
}

/**
 * `fn` over `items`, at most `limit` at a time, results in item order. The first failure aborts the calls still
 * running (through the signal they get), starts no more, and is thrown. An aborted `signal` reaches every call
 * (a generation then ends at once with 'abort').
 */
export async function mapLimited<T, R>(
  items: readonly T[],
  limit: number,
  signal: AbortSignal,
  fn: (item: T, index: number, signal: AbortSignal) => Promise<R>,
): Promise<R[]> {
  const cancel = new AbortController();
  const onAbort = () => cancel.abort();
  signal.addEventListener('abort', onAbort, { once: true });
  if (signal.aborted) cancel.abort();
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  let failed = false;
  const worker = async () => {
    while (next < items.length && !failed) {
      const i = next++;
      results[i] = await fn(items[i]!, i, cancel.signal);
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
    return results;
  } catch (err) {
    failed = true;
    cancel.abort();
    throw err;
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}
