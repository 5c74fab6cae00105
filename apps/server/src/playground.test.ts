// The playground's routes: the page at /, its modules and stylesheet at /playground/NAME (each one the page or a module
// refers to is served, with its content type), nothing else from public/, and a content security policy that keeps
// the page from loading anything from another origin.
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer } from './server.js';

let app: FastifyInstance;
beforeAll(async () => {
  app = await createServer();
});
afterAll(async () => {
  await app.close();
});

const get = (url: string) => app.inject({ method: 'GET', url });

describe('playground routes', () => {
  it('serves the page with a policy that allows its own origin only', async () => {
    const res = await get('/');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.headers['content-security-policy']).toMatch(/^default-src 'self';/);
  });

  it('serves every file the page and its modules refer to, with its content type', async () => {
    const seen = new Set<string>();
    // relative to the page (`playground/...`), so that a proxy may serve the server under a path prefix
    const pending = [...(await get('/')).body.matchAll(/(?:href|src)="(playground\/[^"]+)"/g)].map((m) => `/${m[1]!}`);
    expect(pending).toEqual(['/playground/playground.css', '/playground/main.js']);
    while (pending.length > 0) {
      const url = pending.pop()!;
      if (seen.has(url)) continue;
      seen.add(url);
      const res = await get(url);
      expect(res.statusCode, url).toBe(200);
      expect(res.headers['content-type']).toBe(url.endsWith('.css') ? 'text/css; charset=utf-8' : 'text/javascript; charset=utf-8');
      for (const m of res.body.matchAll(/from '\.\/([^']+)'/g)) pending.push(`/playground/${m[1]}`);
    }
    expect(seen.size).toBeGreaterThan(5);
  });

  it.each(['/playground/nope.js', '/playground/..%2Fplayground.html', '/playground/%2E%2E%2Fpackage.json', '/playground.html', '/playground/'])(
    'answers %s with a 404 in the error shape',
    async (url) => {
      const res = await get(url);
      expect(res.statusCode).toBe(404);
      expect(res.json().error.type).toBe('invalid_request_error');
    },
  );
});
