// Requests Node's HTTP parser rejects before fastify sees them (a 100 KB URL, oversized headers, garbage, a timeout)
// are answered with the same OpenAI-shaped JSON error body as every other error, instead of Node's or fastify's own.
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import { ApiError } from './errors.js';

interface ClientError extends Error {
  code?: string;
  /** The packet being parsed (a Buffer at run time). */
  rawPacket?: unknown;
}

/** Node's limit on the request line and headers together (--max-http-header-size, 16 KiB by default). */
const HEADER_LIMIT = '16 KiB';

/** Status and message for a parser error. */
function describe(err: ClientError): [number, string] {
  if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') return [408, 'the request was not received in time'];
  if (err.code === 'HPE_HEADER_OVERFLOW') {
    // the packet being parsed still holds the start of an unfinished request line: the URL is what overflowed
    const packet = Buffer.isBuffer(err.rawPacket) ? err.rawPacket.toString('latin1') : '';
    if (/^[A-Z]+ \//.test(packet) && !packet.includes('\r\n'))
      return [414, `the request URL is too long (the request line and headers may take ${HEADER_LIMIT})`];
    return [431, `the request headers are too large (the request line and headers may take ${HEADER_LIMIT})`];
  }
  return [400, `malformed HTTP request (${err.code ?? err.message})`];
}

/** fastify's clientErrorHandler: writes the error response and closes the connection. */
export function clientErrorHandler(err: ClientError, socket: Socket): void {
  if (err.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  const [status, message] = describe(err);
  const body = JSON.stringify(new ApiError(status, message).toBody());
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\ncontent-type: application/json; charset=utf-8\r\n` +
      `content-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
  );
}
