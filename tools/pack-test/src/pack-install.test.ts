// The user's view of the packages: pack every public package, install the tarballs with plain npm into
// fresh projects outside the workspace, and run what the READMEs promise. Build tools are shadowed on
// PATH during the install, so a source build where a prebuilt exists fails the test.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { publint } from 'publint';
import semver from 'semver';
import { formatMessage } from 'publint/utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compilerShims, type CompilerShims } from './compiler-shims.js';
import { engineConflicts } from './engines.js';
import { startLocalRegistry } from './local-registry.js';
import { run, userEnv, type RunResult } from './run.js';
import { pack, publicPackages, workspaceRoot, type PackageJson } from './workspace.js';

const PROMPT = 'def fibonacci(n):';
// The CLI samples with a fresh seed unless given one; a fixed seed makes the two runs comparable.
const GENERATE = ['generate', '--seed', '1', PROMPT];
const CUDA_PACKAGE = '@gptj/tensor-cuda-linux-x64';
const cudaBuilt = existsSync(join(workspaceRoot, 'packages', 'tensor', 'build', 'Release', 'gptj_cuda.node'));

/** The README's library example: its first js block, as a user would copy it. */
function readmeExample(): string {
  const readme = readFileSync(join(workspaceRoot, 'README.md'), 'utf8');
  const code = /```js\n([\s\S]*?)```/.exec(readme)?.[1];
  if (code === undefined) throw new Error('README.md has no ```js example');
  return code;
}

let workspaceText: Promise<string> | undefined;
/** What the workspace's own CLI prints for GENERATE (computed once). */
function workspaceGenerate(): Promise<string> {
  const cli = join(workspaceRoot, 'apps', 'cli', 'dist', 'main.js');
  workspaceText ??= run('node', [cli, ...GENERATE], { cwd: workspaceRoot }).then((r) => ok(r, 'workspace gptj generate').stdout);
  return workspaceText;
}

function ok(r: RunResult, what: string): RunResult {
  if (r.code !== 0) throw new Error(`${what} exited ${r.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`);
  return r;
}

/** A fresh npm project at `dir` with the tarballs installed by plain npm. */
async function npmProject(dir: string, tarballs: string[], shims: CompilerShims): Promise<RunResult> {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
  const args = ['install', '--prefer-offline', '--no-audit', '--no-fund', '--foreground-scripts', ...tarballs];
  const env = userEnv();
  return ok(await run('npm', args, { cwd: dir, env: { ...env, PATH: shims.onPath(env.PATH ?? '') } }), 'npm install');
}

function filesUnder(dir: string, pred: (name: string) => boolean): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter(pred);
}

describe('packed @gptj packages, installed with npm', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'gptj-pack-test-'));
  const app = join(tmp, 'app');
  const tarballs = new Map<string, string>();
  let shims: CompilerShims;
  let install: RunResult;

  beforeAll(async () => {
    for (const pkg of publicPackages()) {
      if (pkg.manifest.name === CUDA_PACKAGE && !cudaBuilt) continue; // no nvcc here: nothing to ship
      tarballs.set(pkg.manifest.name, await pack(pkg, join(tmp, 'tarballs')));
    }
    shims = compilerShims(join(tmp, 'shims'));
    // The CUDA package is for GPU users to add; everything else, as `npm i @gptj/cli @gptj/server ...` would.
    const userSet = [...tarballs].filter(([name]) => name !== CUDA_PACKAGE).map(([, file]) => file);
    install = await npmProject(app, userSet, shims);
  }, 300_000);

  // GPTJ_PACK_TEST_KEEP=1 leaves the projects and tarballs in place to look at
  afterAll(async () => {
    if (!process.env.GPTJ_PACK_TEST_KEEP) await rm(tmp, { recursive: true, force: true });
  }, 120_000);

  it('packs real versions in place of workspace: ranges', () => {
    for (const [name, file] of tarballs) {
      if (name === CUDA_PACKAGE) continue; // not installed; packed only to be linted
      const manifest = JSON.parse(readFileSync(join(app, 'node_modules', name, 'package.json'), 'utf8')) as PackageJson;
      for (const field of ['dependencies', 'optionalDependencies', 'peerDependencies'] as const)
        for (const [dep, range] of Object.entries(manifest[field] ?? {})) expect(range, `${name} ${field}.${dep} (${file})`).not.toMatch(/^workspace:/);
    }
  });

  it('ships only what runs: no tests, test helpers, benches, corpora or source maps', async () => {
    const junk = /\.(test|test-util|bench)\.|\/(testing|test-support)\/|^package\/dist\/(bench|corpus)\.js$|\.map$/;
    for (const [name, file] of tarballs) {
      const entries = ok(await run('tar', ['tzf', file], { cwd: tmp }), `tar tzf ${file}`).stdout.split('\n');
      expect(
        entries.filter((e) => junk.test(e)),
        name,
      ).toEqual([]);
    }
  }, 60_000);

  it('passes publint (strict) and attw (esm-only) for every tarball', async () => {
    const problems: string[] = [];
    for (const [name, file] of tarballs) {
      const bytes = readFileSync(file);
      const tarball = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
      const { messages, pkg } = await publint({ pack: { tarball }, strict: true });
      for (const m of messages) problems.push(`publint ${name}: ${formatMessage(m, pkg) ?? m.code}`);
    }
    expect(problems).toEqual([]);
    for (const [name, file] of tarballs) {
      if (name.startsWith('@gptj/tensor-')) continue; // platform packages hold one .node file, no JS or types
      const attw = join(workspaceRoot, 'node_modules', '.bin', 'attw');
      const r = await run(attw, [file, '--profile', 'esm-only', '--format', 'table-flipped', '--no-color'], { cwd: tmp });
      expect(r.code, `attw ${name}:\n${r.stdout}${r.stderr}`).toBe(0);
    }
  }, 120_000);

  it("every installed dependency's engines accept the Node versions ours do", () => {
    const ours = JSON.parse(readFileSync(join(workspaceRoot, 'package.json'), 'utf8')).engines.node as string;
    const min = semver.minVersion(ours)!.version;
    // the oldest we support, and the first release of each later line
    const conflicts = engineConflicts(join(app, 'node_modules'), [min, '22.0.0', '24.0.0']);
    expect(conflicts, `engines.node of the installed tree vs ours (${ours})`).toEqual([]);
  });

  it('installs from the prebuilt: the install script took it and no build tool ran', () => {
    expect(install.stdout).toMatch(/@gptj\/tensor: using the native addon .*node_modules\/@gptj\/tensor-linux-x64-gnu\/gptj_cpu\.node/);
    expect(shims.calls()).toEqual([]);
    expect(existsSync(join(app, 'node_modules', '@gptj', 'tensor', 'build'))).toBe(false);
  });

  it('runs the README library example verbatim, printing what it prints in the workspace', async () => {
    const example = readmeExample();
    writeFileSync(join(app, 'example.mjs'), example);
    const installed = ok(await run('node', ['example.mjs'], { cwd: app, env: userEnv() }), 'README example (installed)');
    // the same file inside the workspace resolves this package's workspace links
    const local = join(workspaceRoot, 'tools', 'pack-test', 'build');
    mkdirSync(local, { recursive: true });
    writeFileSync(join(local, 'example.mjs'), example);
    const workspace = ok(await run('node', ['example.mjs'], { cwd: local }), 'README example (workspace)');
    expect(installed.stdout.trim().length).toBeGreaterThan(20);
    expect(installed.stdout).toBe(workspace.stdout);
  }, 60_000);

  it('npx gptj generate prints the same text as the workspace CLI, with the bundled checkpoint', async () => {
    const installed = ok(await run('npx', ['gptj', ...GENERATE], { cwd: app, env: userEnv() }), 'npx gptj generate');
    expect(installed.stdout.trim().length).toBeGreaterThan(20);
    expect(installed.stdout).toBe(await workspaceGenerate());
  }, 60_000);

  it('npm i -g @gptj/cli @gptj/server from a registry gives working gptj and gptj-server commands', async () => {
    const registry = await startLocalRegistry(tarballs);
    try {
      const prefix = join(tmp, 'global');
      const env = userEnv();
      const args = [
        'install',
        '-g',
        '--prefix',
        prefix,
        `--@gptj:registry=${registry.url}`,
        '--prefer-offline',
        '--no-audit',
        '--no-fund',
        '--foreground-scripts',
        '@gptj/cli',
        '@gptj/server',
      ];
      const install = ok(await run('npm', args, { cwd: tmp, env: { ...env, PATH: shims.onPath(env.PATH ?? '') } }), 'npm i -g');
      expect(install.stdout).toMatch(/@gptj\/tensor: using the native addon .*\/@gptj\/tensor-linux-x64-gnu\/gptj_cpu\.node/);
      expect(shims.calls()).toEqual([]);
      const gptj = ok(await run(join(prefix, 'bin', 'gptj'), GENERATE, { cwd: tmp, env }), 'gptj (global)');
      expect(gptj.stdout).toBe(await workspaceGenerate());
      const server = ok(await run(join(prefix, 'bin', 'gptj-server'), ['--help'], { cwd: tmp, env }), 'gptj-server --help');
      expect(server.stdout).toContain('usage: gptj-server');
    } finally {
      await registry.close();
    }
  }, 180_000);

  it('without the CUDA package, --device cuda names the package to install', async () => {
    const r = await run('npx', ['gptj', 'generate', '--device', 'cuda', PROMPT], { cwd: app, env: userEnv() });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(`no CUDA addon`);
    expect(r.stderr).toContain(`npm i ${CUDA_PACKAGE}`);
  }, 60_000);

  it.skipIf(!cudaBuilt)(
    'with the CUDA package added, the CUDA addon loads from it and probes the machine',
    async () => {
      const env = userEnv();
      ok(
        await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', tarballs.get(CUDA_PACKAGE)!], {
          cwd: app,
          env: { ...env, PATH: shims.onPath(env.PATH ?? '') },
        }),
        'npm install the CUDA package',
      );
      const probe = "import { cudaAvailable } from '@gptj/tensor';\nconsole.log(JSON.stringify(cudaAvailable()));\n";
      writeFileSync(join(app, 'cuda.mjs'), probe);
      const status = JSON.parse(ok(await run('node', ['cuda.mjs'], { cwd: app, env }), 'cuda probe').stdout);
      // Loaded: on a GPU machine it is available, elsewhere the reason is CUDA's own words (not "no CUDA addon")
      const loaded = /cudaErrorInsufficientDriver|cudaErrorNoDevice|no CUDA device|compute capability/;
      expect(status.available || loaded.test(status.reason), JSON.stringify(status)).toBe(true);
    },
    120_000,
  );

  it('npx gptj-server serves completions from the bundled checkpoint', async () => {
    const { spawn } = await import('node:child_process');
    const server = spawn('npx', ['gptj-server', '--port', '0'], { cwd: app, env: userEnv() });
    try {
      const address = await new Promise<string>((resolve, reject) => {
        let err = '';
        server.stderr.on('data', (d: Buffer) => {
          err += d;
          const url = /listening on (http:\/\/\S+)/.exec(err)?.[1];
          if (url) resolve(url);
        });
        server.on('close', (code) => reject(new Error(`gptj-server exited ${code}:\n${err}`)));
      });
      const res = await fetch(`${address}/v1/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ prompt: PROMPT, max_tokens: 8, temperature: 0 }),
      });
      expect(res.status).toBe(200);
      const body = (await res.json()) as { choices: { text: string }[] };
      expect(body.choices[0]?.text.length).toBeGreaterThan(0);
    } finally {
      server.kill('SIGTERM');
    }
  }, 60_000);

  it('installs @gptj/tokenizer alone, with no native code and no other package', async () => {
    const dir = join(tmp, 'tokenizer-only');
    await npmProject(dir, [tarballs.get('@gptj/tokenizer')!], shims);
    const modules = join(dir, 'node_modules');
    expect(readdirSync(modules).filter((n) => !n.startsWith('.'))).toEqual(['@gptj']);
    expect(readdirSync(join(modules, '@gptj'))).toEqual(['tokenizer']);
    expect(filesUnder(modules, (f) => /\.(node|gyp|cc|cpp|c)$/.test(f) || f.endsWith('CMakeLists.txt'))).toEqual([]);
    writeFileSync(join(dir, 'ids.mjs'), "import { Tokenizer } from '@gptj/tokenizer';\nconsole.log(JSON.stringify(Tokenizer.gptj().encode('Hello world')));\n");
    const r = ok(await run('node', ['ids.mjs'], { cwd: dir, env: userEnv() }), 'tokenizer example');
    expect(JSON.parse(r.stdout)).toEqual([15496, 995]); // GPT-2's ids for "Hello", " world"
  }, 120_000);

  it('without the prebuilt, importing fails with NativeAddonUnavailable; its build command makes it work', async () => {
    rmSync(join(app, 'node_modules', '@gptj', 'tensor-linux-x64-gnu'), { recursive: true, force: true });
    const probe =
      "try { await import('@gptj/tensor'); console.log(JSON.stringify({ loaded: true })); }\n" +
      'catch (e) { console.log(JSON.stringify({ name: e.name, message: e.message, buildCommand: e.buildCommand })); }\n';
    writeFileSync(join(app, 'probe.mjs'), probe);
    const failed = JSON.parse(ok(await run('node', ['probe.mjs'], { cwd: app, env: userEnv() }), 'probe').stdout);
    expect(failed.name).toBe('NativeAddonUnavailable');
    expect(failed.message).toContain(`${process.platform} ${process.arch} glibc, Node-API ${process.versions.napi}`);
    expect(failed.message).toContain('@gptj/tensor-linux-x64-gnu/gptj_cpu.node: package not installed');
    expect(failed.message).toContain(failed.buildCommand);
    expect(failed.buildCommand).toMatch(/^node ".*node_modules\/@gptj\/tensor\/scripts\/build-addon\.js"$/);
    const cliFailed = await run('npx', ['gptj', ...GENERATE], { cwd: app, env: userEnv() });
    expect(cliFailed.code).not.toBe(0);
    expect(cliFailed.stderr).toContain(failed.buildCommand);

    // The install hook, run again as npm would on a platform with no prebuilt: it goes for a source
    // build, and with no build tools (the shims fail) says what to install instead of a cmake-js trace.
    const env = userEnv();
    const hook = await run('node', [join('node_modules', '@gptj', 'tensor', 'scripts', 'install.js')], {
      cwd: app,
      env: { ...env, PATH: shims.onPath(env.PATH ?? ''), CXX: '' },
    });
    expect(hook.code).toBe(1);
    expect(hook.stdout).toContain('@gptj/tensor: no prebuilt addon loads on this platform');
    expect(hook.stderr).toContain('cmake 3.20+ is not on PATH');
    expect(hook.stderr).toContain('no C++17 compiler found (tried c++, g++, clang++');
    expect(hook.stderr).toContain(`then run: ${failed.buildCommand}`);

    // The CPU addon only (GPTJ_NO_CUDA), to keep the source build near a minute on two cores.
    ok(await run('sh', ['-c', failed.buildCommand], { cwd: app, env: userEnv({ GPTJ_NO_CUDA: '1' }), timeout: 400_000 }), 'build command');
    expect(JSON.parse(ok(await run('node', ['probe.mjs'], { cwd: app, env: userEnv() }), 'probe').stdout)).toEqual({ loaded: true });
    const rebuilt = ok(await run('npx', ['gptj', ...GENERATE], { cwd: app, env: userEnv() }), 'npx gptj generate');
    expect(rebuilt.stdout).toBe(await workspaceGenerate());
  }, 420_000);
});
