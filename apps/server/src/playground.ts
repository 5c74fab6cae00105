// The playground's static files: public/playground.html at `/` and the files of public/playground/ (ES modules and
// CSS, no build step) at /playground/NAME, read once at start-up. The page's content security policy allows nothing
// from another origin, so a stray CDN link or remote font fails in the browser test instead of phoning out.
import { readdirSync, readFileSync } from 'node:fs';
import { extname } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { ApiError } from './errors.js';

const PUBLIC = new URL('../public/', import.meta.url);

const CONTENT_TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
};

const CSP = ["default-src 'self'", "img-src 'self' data:", "base-uri 'none'", "form-action 'none'", "frame-ancestors 'none'"].join('; ');

export function registerPlayground(app: FastifyInstance): void {
  const html = readFileSync(new URL('playground.html', PUBLIC), 'utf8');
  const dir = new URL('playground/', PUBLIC);
  // Only the files present at start-up are served, by exact name: no path from the URL ever reaches the file system.
  const assets = new Map(
    readdirSync(dir)
      .filter((name) => CONTENT_TYPES[extname(name)] !== undefined)
      .map((name) => [name, { type: CONTENT_TYPES[extname(name)]!, body: readFileSync(new URL(name, dir), 'utf8') }]),
  );

  app.get('/', (_request, reply) =>
    reply.type('text/html; charset=utf-8').header('content-security-policy', CSP).header('cache-control', 'no-cache').send(html),
  );
  app.get<{ Params: { name: string } }>('/playground/:name', (request, reply) => {
    const asset = assets.get(request.params.name);
    if (asset === undefined) throw new ApiError(404, `no playground file ${JSON.stringify(request.params.name).slice(0, 80)}`);
    return reply.type(asset.type).header('cache-control', 'no-cache').send(asset.body);
  });
}
