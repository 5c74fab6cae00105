// A local stand-in for the Hugging Face hub: serves a fixture directory at <endpoint>/<repo>/resolve/<revision>/<file>
// (the layout @gptj/model's downloader requests; the real hub is not reachable from tests). Only `revision` is served:
// a request for another one is a 404, so a test sees which revision a command asked for.
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

export interface MockHub {
  /** http://127.0.0.1:PORT, for HF_ENDPOINT */
  endpoint: string;
  /** Every request, as "METHOD URL". */
  requested: string[];
  server: Server;
  close(): void;
}

export async function startMockHub(opts: { repo: string; dir: string; revision?: string; commit?: string }): Promise<MockHub> {
  const revision = opts.revision ?? 'main';
  const prefix = `/${opts.repo}/resolve/${encodeURIComponent(revision)}/`;
  const requested: string[] = [];
  const server = createServer((req, res) => {
    const url = req.url ?? '';
    requested.push(`${req.method} ${url}`);
    const name = url.startsWith(prefix) ? url.slice(prefix.length) : '';
    const file = /^[\w.-]+$/.test(name) ? join(opts.dir, name) : '';
    if (!file || !existsSync(file)) {
      res.writeHead(404).end();
      return;
    }
    const body = readFileSync(file);
    res.writeHead(200, { 'content-length': body.length, 'x-repo-commit': opts.commit ?? 'abc123' });
    res.end(req.method === 'HEAD' ? undefined : body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { endpoint, requested, server, close: () => server.close() };
}
