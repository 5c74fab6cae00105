import { createReadStream, existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fixturePath } from '@gptj/test-fixtures';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type DownloadProgress, resolveHubModel } from './hub.js';
import { HubError } from './errors.js';
import { loadModel } from './load.js';

// A stand-in for the hub: serves tools/fixtures/data/gptj-small-f32 as org/small at any revision, with Range
// support; `cutAfter` makes the next download of model.safetensors drop the connection after that many bytes.
const served = fixturePath('gptj-small-f32');
const log: { method: string; path: string; range?: string }[] = [];
let cutAfter: number | null = null;
let server: Server;
let endpoint: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    log.push({ method: req.method!, path: req.url!, range: req.headers.range });
    const m = /^\/org\/small\/resolve\/[^/]+\/([\w.-]+)$/.exec(req.url ?? '');
    const name = m?.[1];
    const file = name && join(served, name);
    if (!file || !existsSync(file)) {
      res.writeHead(404).end();
      return;
    }
    const size = statSync(file).size;
    const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    const start = range ? Number(range[1]) : 0;
    res.writeHead(range ? 206 : 200, { 'content-length': size - start, 'x-repo-commit': 'abc123' });
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    if (cutAfter !== null && m[1] === 'model.safetensors') {
      const cut = cutAfter;
      cutAfter = null;
      createReadStream(file, { start, end: start + cut - 1 })
        .on('end', () => setTimeout(() => res.destroy(), 200))
        .pipe(res, { end: false });
      return;
    }
    createReadStream(file, { start }).pipe(res);
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((ok) => server.close(() => ok())));

let cache: string;
beforeEach(() => {
  cache = mkdtempSync(join(tmpdir(), 'gptj-hub-'));
  log.length = 0;
});
afterAll(() => rmSync(cache, { recursive: true, force: true }));

describe('resolveHubModel', () => {
  it('downloads into the HF cache layout with progress, then serves from the cache', async () => {
    const progress: DownloadProgress[] = [];
    const dir = await resolveHubModel('org/small', { cacheDir: cache, endpoint, onProgress: (p) => progress.push(p) });
    expect(dir).toBe(join(cache, 'models--org--small', 'snapshots', 'abc123'));
    expect(readFileSync(join(cache, 'models--org--small', 'refs', 'main'), 'utf8')).toBe('abc123');
    for (const f of ['config.json', 'model.safetensors', 'generation_config.json']) {
      expect(readFileSync(join(dir, f)).equals(readFileSync(join(served, f)))).toBe(true);
    }
    const last = progress.filter((p) => p.file === 'model.safetensors').at(-1)!;
    expect(last.done).toBe(statSync(join(served, 'model.safetensors')).size);
    expect(last.total).toBe(last.done);

    log.length = 0;
    expect(await resolveHubModel('org/small', { cacheDir: cache, endpoint })).toBe(dir);
    expect(log).toEqual([]);
  });

  it('resumes an interrupted download with a Range request', async () => {
    cutAfter = 50_000;
    await expect(resolveHubModel('org/small', { cacheDir: cache, endpoint })).rejects.toThrow(HubError);
    const partial = join(cache, 'models--org--small', 'snapshots', 'abc123', 'model.safetensors.incomplete');
    expect(statSync(partial).size).toBe(50_000);
    const dir = await resolveHubModel('org/small', { cacheDir: cache, endpoint });
    expect(log.some((r) => r.method === 'GET' && r.path.endsWith('/model.safetensors') && r.range === 'bytes=50000-')).toBe(true);
    expect(readFileSync(join(dir, 'model.safetensors')).equals(readFileSync(join(served, 'model.safetensors')))).toBe(true);
    expect(existsSync(partial)).toBe(false);
  });

  it('loadModel takes a hub id, downloads it once and loads the snapshot', async () => {
    const progress: string[] = [];
    const model = await loadModel('org/small', { cacheDir: cache, endpoint, onProgress: (p) => progress.push(p.phase) });
    expect(progress).toContain('download');
    expect(progress.at(-1)).toBe('load');
    const local = await loadModel(served);
    const [a, b] = [await model.forward([[5, 17, 300]]), await local.forward([[5, 17, 300]])];
    expect(a.toFloat32Array()).toEqual(b.toFloat32Array());
    model.dispose();
    local.dispose();
  });

  it('reports missing models, unreachable endpoints and offline mode as HubErrors', async () => {
    await expect(resolveHubModel('org/absent', { cacheDir: cache, endpoint })).rejects.toThrow(/config.json not found.*HTTP 404/);
    await expect(resolveHubModel('org/small', { cacheDir: cache, endpoint: 'http://127.0.0.1:1' })).rejects.toThrow(/cannot reach/);
    await expect(resolveHubModel('not a hub id', { cacheDir: cache, endpoint })).rejects.toThrow(/neither a directory nor a hub id/);
    process.env.HF_HUB_OFFLINE = '1';
    try {
      await expect(resolveHubModel('org/small', { cacheDir: cache, endpoint })).rejects.toThrow(/HF_HUB_OFFLINE/);
    } finally {
      delete process.env.HF_HUB_OFFLINE;
    }
  });
});
