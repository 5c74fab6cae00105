// Finds the native addons in one fixed order, so a development checkout, a source build and a
// prebuilt install all behave the same:
//   1. <package>/build/Release/<file>   the workspace build, or a source build made at install time
//   2. <platform package>/<file>        the prebuilt, resolved from this package with createRequire
//                                       (@gptj/tensor-linux-x64-gnu, an optionalDependency; for CUDA
//                                       @gptj/tensor-cuda-linux-x64, which GPU users install themselves)
// A candidate that exists but does not load (wrong libc, too old a glibc, corrupt file) is recorded
// with its error and the search goes on; the caller decides what "none fits" means.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NativeAddonUnavailable, type AddonAttempt, type NativePlatform } from './addon-unavailable.js';

/** Root of the installed @gptj/tensor (this file is src/ or dist/ below it). */
export const PACKAGE_ROOT = fileURLToPath(new URL('..', import.meta.url));

/** The Node-API version the addons are built for (package.json "binary.napi_versions", CMakeLists NAPI_VERSION). */
export const ADDON_NAPI_VERSION = 8;

export interface AddonKind {
  file: 'gptj_cpu.node' | 'gptj_cuda.node';
  /** npm package that ships the prebuilt for a platform */
  packageName(p: NativePlatform): string;
}

export const CPU_ADDON: AddonKind = {
  file: 'gptj_cpu.node',
  packageName: (p) => `@gptj/tensor-${p.os}-${p.arch}${p.libc === 'glibc' ? '-gnu' : p.libc === 'musl' ? '-musl' : ''}`,
};

export const CUDA_ADDON: AddonKind = {
  file: 'gptj_cuda.node',
  packageName: (p) => `@gptj/tensor-cuda-${p.os}-${p.arch}`,
};

export function currentPlatform(): NativePlatform {
  let libc: NativePlatform['libc'] = null;
  if (process.platform === 'linux') {
    // The diagnostic report's header names the glibc it runs on; on musl that field is absent.
    const header = (process.report.getReport() as { header?: { glibcVersionRuntime?: string } }).header;
    libc = header?.glibcVersionRuntime ? 'glibc' : 'musl';
  }
  return { os: process.platform, arch: process.arch, libc, napiVersion: Number(process.versions.napi) };
}

export interface AddonSearchOptions {
  /** where build/Release is looked for and the platform package is resolved from (default: this package) */
  packageRoot?: string;
  platform?: NativePlatform;
  /** loads one candidate (default: require, i.e. process.dlopen) */
  load?: (path: string) => unknown;
}

export type AddonSearch =
  | { found: true; addon: unknown; path: string; tried: AddonAttempt[] }
  | { found: false; tried: AddonAttempt[]; platform: NativePlatform };

/** Tries the candidates of `kind` in order; returns the first that loads, or every attempt. */
export function findAddon(kind: AddonKind, opts: AddonSearchOptions = {}): AddonSearch {
  const root = opts.packageRoot ?? PACKAGE_ROOT;
  const load = opts.load ?? createRequire(import.meta.url);
  const tried: AddonAttempt[] = [];
  const attempt = (path: string) => {
    try {
      return { found: true as const, addon: load(path), path, tried };
    } catch (e) {
      tried.push({ path, missing: false, error: (e instanceof Error ? e.message : String(e)).split('\n')[0] });
      return undefined;
    }
  };

  const local = join(root, 'build', 'Release', kind.file);
  if (existsSync(local)) {
    const found = attempt(local);
    if (found) return found;
  } else tried.push({ path: local, missing: true, error: 'not found' });

  const platform = opts.platform ?? currentPlatform();
  const request = `${kind.packageName(platform)}/${kind.file}`;
  let resolved: string | undefined;
  try {
    resolved = createRequire(join(root, 'package.json')).resolve(request);
  } catch {
    tried.push({ path: request, missing: true, error: 'package not installed' });
  }
  if (resolved) {
    const found = attempt(resolved);
    if (found) return found;
  }
  return { found: false, tried, platform };
}

/** The one command that builds the addons from source for the package at `root`. */
export function buildCommand(root: string = PACKAGE_ROOT): string {
  // A source checkout (src/ is not published) builds through the workspace; an installed package
  // through its own script, called by absolute path so it works from any directory.
  return existsSync(join(root, 'src')) ? 'pnpm --filter @gptj/tensor build' : `node ${JSON.stringify(join(root, 'scripts', 'build-addon.js'))}`;
}

/** Loads the CPU addon or throws NativeAddonUnavailable (never a raw MODULE_NOT_FOUND). */
export function loadCpuAddon(opts: AddonSearchOptions = {}): unknown {
  const r = findAddon(CPU_ADDON, opts);
  if (r.found) return r.addon;
  throw new NativeAddonUnavailable(r.platform, r.tried, buildCommand(opts.packageRoot));
}
