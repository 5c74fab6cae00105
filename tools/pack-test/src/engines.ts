// Which installed packages declare an `engines.node` range that leaves out a Node version we support: a user
// on that version gets npm's EBADENGINE warning, or worse, a package that uses an API their Node lacks.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import semver from 'semver';

/**
 * Upstream packages we cannot steer, each with why it is accepted. fastify (any 5.x) depends on
 * light-my-request ^6, whose 6.8 takes cookie ^2 (engines >= 22); it only serves fastify's `inject`
 * (tests), which the server never calls, and it loads on Node 20.
 */
const ACCEPTED: Readonly<Record<string, string>> = {
  cookie: 'fastify -> light-my-request 6.8 -> cookie 2 (engines >= 22), used only by inject()',
};

/** `name@version: range (fails on V)` for every package under `nodeModules` whose engines.node rejects a version in `versions`. */
export function engineConflicts(nodeModules: string, versions: readonly string[]): string[] {
  const out: string[] = [];
  const visit = (dir: string): void => {
    for (const entry of readdirSync(dir)) {
      if (entry.startsWith('.')) continue;
      const path = join(dir, entry);
      if (entry.startsWith('@')) {
        visit(path);
        continue;
      }
      const manifest = join(path, 'package.json');
      if (existsSync(manifest)) {
        const pkg = JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string; version?: string; engines?: { node?: string } };
        const range = pkg.engines?.node;
        const rejected = range === undefined ? [] : versions.filter((v) => !semver.satisfies(v, range));
        if (rejected.length > 0 && !(pkg.name && pkg.name in ACCEPTED)) {
          out.push(`${pkg.name}@${pkg.version}: engines.node "${range}" (fails on ${rejected.join(', ')})`);
        }
      }
      if (existsSync(join(path, 'node_modules'))) visit(join(path, 'node_modules'));
    }
  };
  visit(nodeModules);
  return out;
}
