// The workspace as a publisher sees it: its public packages, packed into tarballs with `pnpm pack`
// (which runs each package's prepack, so the platform packages get their built addon, and turns
// workspace: ranges into real versions).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { run } from './run.js';

export const workspaceRoot = fileURLToPath(new URL('../../..', import.meta.url));

export interface PackageJson {
  name: string;
  version: string;
  private?: boolean;
  bin?: Record<string, string>;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  [key: string]: unknown;
}

export interface PublicPackage {
  dir: string;
  manifest: PackageJson;
}

/** Every package under packages/ and apps/ that is not private. */
export function publicPackages(): PublicPackage[] {
  const out: PublicPackage[] = [];
  for (const top of ['packages', 'apps']) {
    for (const name of readdirSync(join(workspaceRoot, top)).sort()) {
      const file = join(workspaceRoot, top, name, 'package.json');
      if (!existsSync(file)) continue;
      const manifest = JSON.parse(readFileSync(file, 'utf8')) as PackageJson;
      if (!manifest.private) out.push({ dir: join(workspaceRoot, top, name), manifest });
    }
  }
  return out;
}

/** `pnpm pack` of one package into `dest`; returns the tarball's path. */
export async function pack(pkg: PublicPackage, dest: string): Promise<string> {
  const r = await run('pnpm', ['pack', '--pack-destination', dest, '--json'], { cwd: pkg.dir });
  if (r.code !== 0) throw new Error(`pnpm pack ${pkg.manifest.name} failed (${r.code}):\n${r.stderr}${r.stdout}`);
  // pnpm prints the prepack script's output before the JSON report
  const report = JSON.parse(r.stdout.slice(r.stdout.indexOf('{'))) as { filename: string };
  return report.filename;
}
