// The loader's search order and its one typed error, on package roots made in temp dirs (the real
// build/Release that everyone's tests use is only read, never moved).
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { CPU_ADDON, CUDA_ADDON, currentPlatform, findAddon, loadCpuAddon, type AddonSearch } from './addon-loader.js';
import { NativeAddonUnavailable, type NativePlatform } from './addon-unavailable.js';
import { cudaMissingReason } from './cuda/addon.js';
import { TensorError } from './errors.js';

const here = dirname(fileURLToPath(import.meta.url));
const builtCpuAddon = join(here, '..', 'build', 'Release', 'gptj_cpu.node');
const linuxGnu: NativePlatform = { os: 'linux', arch: 'x64', libc: 'glibc', napiVersion: 9 };

const roots: string[] = [];
afterEach(() => {
  for (const r of roots.splice(0)) rmSync(r, { recursive: true, force: true });
});

/** A package root with, as asked, a build/Release addon file and/or the platform package (its real package.json). */
function fakeRoot(opts: { local?: string | Buffer; prebuilt?: string | Buffer; src?: boolean }): string {
  const root = mkdtempSync(join(tmpdir(), 'gptj-loader-'));
  roots.push(root);
  writeFileSync(join(root, 'package.json'), '{"name":"@gptj/tensor","type":"module"}');
  if (opts.src) mkdirSync(join(root, 'src'));
  if (opts.local !== undefined) {
    mkdirSync(join(root, 'build', 'Release'), { recursive: true });
    writeFileSync(join(root, 'build', 'Release', 'gptj_cpu.node'), opts.local);
  }
  if (opts.prebuilt !== undefined) {
    const pkg = join(root, 'node_modules', '@gptj', 'tensor-linux-x64-gnu');
    mkdirSync(pkg, { recursive: true });
    copyFileSync(join(here, '..', '..', 'tensor-linux-x64-gnu', 'package.json'), join(pkg, 'package.json'));
    writeFileSync(join(pkg, 'gptj_cpu.node'), opts.prebuilt);
  }
  return root;
}

/** A load that records what it was asked for and "loads" any file whose content is not 'bad'. */
function recordingLoad(log: string[]) {
  return (path: string) => {
    log.push(path);
    if (readFileSync(path, 'utf8') === 'bad') throw new Error(`${path}: invalid ELF header`);
    return { from: path };
  };
}

function loadedPath(r: AddonSearch): string | undefined {
  return r.found ? r.path : undefined;
}

describe('findAddon order', () => {
  it('takes the package build/Release first, without looking at the prebuilt', () => {
    const root = fakeRoot({ local: 'ok', prebuilt: 'ok' });
    const log: string[] = [];
    const r = findAddon(CPU_ADDON, { packageRoot: root, platform: linuxGnu, load: recordingLoad(log) });
    expect(loadedPath(r)).toBe(join(root, 'build', 'Release', 'gptj_cpu.node'));
    expect(log).toEqual([join(root, 'build', 'Release', 'gptj_cpu.node')]);
  });

  it('falls back to the platform package, resolved from the package root', () => {
    const root = fakeRoot({ prebuilt: 'ok' });
    const log: string[] = [];
    const r = findAddon(CPU_ADDON, { packageRoot: root, platform: linuxGnu, load: recordingLoad(log) });
    const prebuilt = join(root, 'node_modules', '@gptj', 'tensor-linux-x64-gnu', 'gptj_cpu.node');
    expect(loadedPath(r)).toBe(prebuilt);
    expect(r.tried).toEqual([{ path: join(root, 'build', 'Release', 'gptj_cpu.node'), missing: true, error: 'not found' }]);
  });

  it('records a build/Release addon that fails to load and goes on to the prebuilt', () => {
    const root = fakeRoot({ local: 'bad', prebuilt: 'ok' });
    const r = findAddon(CPU_ADDON, { packageRoot: root, platform: linuxGnu, load: recordingLoad([]) });
    expect(loadedPath(r)).toContain('tensor-linux-x64-gnu');
    expect(r.tried).toHaveLength(1);
    expect(r.tried[0]).toMatchObject({ missing: false, error: expect.stringContaining('invalid ELF header') });
  });

  it("loads the real addon from a platform package with Node's own loader", () => {
    const root = fakeRoot({ prebuilt: readFileSync(builtCpuAddon) });
    const r = findAddon(CPU_ADDON, { packageRoot: root, platform: linuxGnu });
    expect(r.found).toBe(true);
    expect(typeof (r.found && (r.addon as { cpuFeatures: () => { avx2: boolean } }).cpuFeatures().avx2)).toBe('boolean');
  });

  it('names the prebuilt package after os, arch and libc', () => {
    expect(CPU_ADDON.packageName(linuxGnu)).toBe('@gptj/tensor-linux-x64-gnu');
    expect(CPU_ADDON.packageName({ ...linuxGnu, libc: 'musl' })).toBe('@gptj/tensor-linux-x64-musl');
    expect(CPU_ADDON.packageName({ os: 'darwin', arch: 'arm64', libc: null, napiVersion: 9 })).toBe('@gptj/tensor-darwin-arm64');
    expect(CUDA_ADDON.packageName(linuxGnu)).toBe('@gptj/tensor-cuda-linux-x64');
    expect(currentPlatform()).toMatchObject({ os: process.platform, arch: process.arch, napiVersion: Number(process.versions.napi) });
  });
});

describe('NativeAddonUnavailable', () => {
  function unavailable(root: string, platform: NativePlatform): NativeAddonUnavailable {
    try {
      loadCpuAddon({ packageRoot: root, platform });
    } catch (e) {
      expect(e).toBeInstanceOf(NativeAddonUnavailable);
      expect(e).toBeInstanceOf(TensorError);
      return e as NativeAddonUnavailable;
    }
    throw new Error('loadCpuAddon did not throw');
  }

  it('names the platform, every path tried and the build command of an installed package', () => {
    const root = fakeRoot({});
    const e = unavailable(root, { os: 'linux', arch: 'arm64', libc: 'musl', napiVersion: 9 });
    expect(e.message).toContain('linux arm64 musl, Node-API 9 (the addon needs 8)');
    expect(e.message).toContain(`${join(root, 'build', 'Release', 'gptj_cpu.node')}: not found`);
    expect(e.message).toContain('@gptj/tensor-linux-arm64-musl/gptj_cpu.node: package not installed');
    expect(e.buildCommand).toBe(`node ${JSON.stringify(join(root, 'scripts', 'build-addon.js'))}`);
    expect(e.message).toContain(e.buildCommand);
    expect(e.message).not.toMatch(/MODULE_NOT_FOUND|Cannot find module/);
    expect(e.tried.map((t) => t.missing)).toEqual([true, true]);
  });

  it('says why a present binary did not load, and points a source checkout at the workspace build', () => {
    const root = fakeRoot({ src: true, prebuilt: 'not an ELF file' });
    const e = unavailable(root, linuxGnu);
    expect(e.tried[1]).toMatchObject({ missing: false, path: expect.stringContaining('tensor-linux-x64-gnu') });
    expect(e.tried[1].error.length).toBeGreaterThan(0);
    expect(e.buildCommand).toBe('pnpm --filter @gptj/tensor build');
  });
});

describe('CUDA addon missing', () => {
  it('tells GPU users which package to install when none is there', () => {
    const reason = cudaMissingReason([{ path: '/x/build/Release/gptj_cuda.node', missing: true, error: 'not found' }], '@gptj/tensor-cuda-linux-x64');
    expect(reason).toMatch(/^no CUDA addon/);
    expect(reason).toContain('npm i @gptj/tensor-cuda-linux-x64');
  });

  it('passes on the loader error of one that is there', () => {
    const reason = cudaMissingReason([{ path: '/p/gptj_cuda.node', missing: false, error: 'libfoo.so: cannot open' }], '@gptj/tensor-cuda-linux-x64');
    expect(reason).toBe('the CUDA addon failed to load: libfoo.so: cannot open (/p/gptj_cuda.node)');
  });
});
