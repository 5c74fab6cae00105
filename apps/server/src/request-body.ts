// The request body parser: JSON, also when sent as text/plain, with keys that could reach an object's prototype refused.
//
// text/plain is parsed as JSON rather than refused with 415: `fetch(url, { method: 'POST', body: JSON.stringify(x) })`
// without a content-type header sends text/plain, and a browser page avoids a CORS preflight that way; the body can
// only be read one way. Other media types (form-encoded, multipart...) are answered 415 by fastify (see server.ts).
import type { FastifyInstance } from 'fastify';
import { ApiError } from './errors.js';

/** Keys refused anywhere in a body: on a plain object they reach Object.prototype or its constructor. */
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor']);

export const JSON_MEDIA_TYPES = ['application/json', 'text/plain'];

/** Parses a request body; ApiError 400 (OpenAI-shaped) for invalid JSON or a forbidden key, naming where it is. */
export function parseJsonBody(text: string): unknown {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (err) {
    throw new ApiError(400, `the request body is not valid JSON: ${(err as Error).message}`);
  }
  const path = forbiddenKeyPath(body);
  if (path !== null) throw new ApiError(400, `${path}: the key "${path.split('.').at(-1)}" is not allowed`, 'invalid_request_error', path);
  return body;
}

/**
 * The dotted path of the first forbidden key, or null. Iterative with parent links (a 1 MB body can nest 500k levels
 * deep: no recursion, and the path is built only for the key found).
 */
function forbiddenKeyPath(root: unknown): string | null {
  const keys: string[] = [];
  const parents: number[] = [];
  const stack: [value: unknown, node: number][] = [[root, -1]];
  while (stack.length > 0) {
    const [value, node] = stack.pop()!;
    if (value === null || typeof value !== 'object') continue;
    for (const key of Object.keys(value)) {
      keys.push(key);
      parents.push(node);
      const child = keys.length - 1;
      if (FORBIDDEN_KEYS.has(key)) {
        const path: string[] = [];
        for (let n = child; n >= 0; n = parents[n]!) path.push(keys[n]!);
        return path.reverse().join('.');
      }
      stack.push([(value as Record<string, unknown>)[key], child]);
    }
  }
  return null;
}

/** Replaces fastify's JSON and text parsers with parseJsonBody. */
export function registerBodyParser(app: FastifyInstance): void {
  app.removeContentTypeParser(JSON_MEDIA_TYPES);
  app.addContentTypeParser(JSON_MEDIA_TYPES, { parseAs: 'string' }, (_request, text, done) => {
    try {
      done(null, parseJsonBody(text as string));
    } catch (err) {
      done(err as Error, undefined);
    }
  });
}
