#!/usr/bin/env node
// Builds the addons of an installed @gptj/tensor from source into its build/Release (cmake-js
// configure + build; the CUDA addon too where nvcc is found): the install-time fallback where no
// prebuilt fits, and the command that NativeAddonUnavailable names. Checks for cmake and a C++
// compiler first, so a missing tool is one clear message rather than a cmake-js stack trace.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

function runs(cmd) {
  const r = spawnSync(cmd, ['--version'], { stdio: 'ignore' });
  return !r.error && r.status === 0;
}

/** What is missing to build from source, as install hints. */
export function missingTools() {
  const missing = [];
  if (!runs('cmake')) missing.push('cmake 3.20+ is not on PATH (Debian/Ubuntu: apt-get install cmake; macOS: brew install cmake)');
  const compilers = process.env.CXX ? [process.env.CXX] : ['c++', 'g++', 'clang++'];
  if (!compilers.some(runs))
    missing.push(`no C++17 compiler found (tried ${compilers.join(', ')}; Debian/Ubuntu: apt-get install g++; macOS: xcode-select --install)`);
  return missing;
}

/** Builds into <package>/build/Release; returns the exit status. */
export function buildAddon() {
  const missing = missingTools();
  if (missing.length) {
    console.error(
      `@gptj/tensor: cannot build the native addon from source:\n${missing.map((m) => `  - ${m}`).join('\n')}\n` +
        `Install what is missing, then run: node ${JSON.stringify(fileURLToPath(import.meta.url))}`,
    );
    return 1;
  }
  const require = createRequire(join(root, 'package.json'));
  const pkg = require.resolve('cmake-js/package.json');
  const cmakeJs = join(dirname(pkg), JSON.parse(readFileSync(pkg, 'utf8')).bin['cmake-js']);
  console.log(`@gptj/tensor: building the native addon from source in ${root} (a minute or two; more with CUDA)`);
  // configure then build: plain `compile` silently reuses a stale cmake cache. cmake-js builds with
  // one job unless told otherwise.
  const jobs = process.env.CMAKE_BUILD_PARALLEL_LEVEL || String(availableParallelism());
  for (const step of [['configure'], ['build', '--parallel', jobs]]) {
    const r = spawnSync(process.execPath, [cmakeJs, ...step, '--log-level', 'warn'], { cwd: root, stdio: 'inherit' });
    if (r.status !== 0) {
      console.error(`@gptj/tensor: cmake-js ${step[0]} failed (exit ${r.status ?? r.signal}); see the output above`);
      return r.status || 1;
    }
  }
  console.log(`@gptj/tensor: built ${join(root, 'build', 'Release')}`);
  return 0;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) process.exit(buildAddon());
