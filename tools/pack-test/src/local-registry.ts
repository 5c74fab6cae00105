// A registry for the @gptj scope only, serving the packed tarballs on 127.0.0.1, so that
// `npm i -g @gptj/cli --@gptj:registry=<url>` resolves our packages (and their optional platform
// package) exactly as from npmjs.org, while third-party packages still come from the usual registry.
// It answers the two requests npm makes: the packument (GET /@gptj%2fname) and the tarball.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface LocalRegistry {
  url: string;
  close(): Promise<void>;
}

export async function startLocalRegistry(tarballs: ReadonlyMap<string, string>): Promise<LocalRegistry> {
  const files = new Map<string, Buffer>(); // tarball path on the server -> bytes
  const packuments = new Map<string, (base: string) => object>();
  for (const [name, file] of tarballs) {
    const bytes = readFileSync(file);
    const manifest = JSON.parse(execFileSync('tar', ['xzOf', file, 'package/package.json'], { encoding: 'utf8' }));
    const path = `/${name}/-/${name.split('/')[1]}-${manifest.version}.tgz`;
    files.set(path, bytes);
    const dist = {
      integrity: `sha512-${createHash('sha512').update(bytes).digest('base64')}`,
      shasum: createHash('sha1').update(bytes).digest('hex'),
    };
    packuments.set(name, (base) => ({
      name,
      'dist-tags': { latest: manifest.version },
      versions: { [manifest.version]: { ...manifest, _id: `${name}@${manifest.version}`, dist: { ...dist, tarball: base + path } } },
    }));
  }

  const server: Server = createServer((req, res) => {
    const path = decodeURIComponent((req.url ?? '/').replace(/\?.*/s, '')); // without the query
    const base = `http://${req.headers.host}`;
    const packument = packuments.get(path.slice(1));
    if (packument) {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(packument(base)));
    } else if (files.has(path)) {
      res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(files.get(path));
    } else {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not found"}');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
