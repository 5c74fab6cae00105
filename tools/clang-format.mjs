#!/usr/bin/env node
// Formats the C, C++ and CUDA sources git tracks with clang-format (.clang-format at the root), or with --check
// fails listing the files that are not formatted. CI uses Debian 12's clang-format 14 (installed by .ci/run);
// other major versions can format a few constructs differently, so a check there is reported as a warning.
import { execFileSync, spawnSync } from 'node:child_process';

const check = process.argv.includes('--check');
const files = execFileSync('git', ['ls-files', '*.c', '*.cc', '*.cpp', '*.h', '*.cu', '*.cuh'], { encoding: 'utf8' }).split('\n').filter(Boolean);
const version = spawnSync('clang-format', ['--version'], { encoding: 'utf8' });
if (version.status !== 0) {
  console.error('clang-format is not installed (Debian/Ubuntu: apt install clang-format); the C++ sources were not checked');
  process.exit(1);
}
const major = Number(/version (\d+)/.exec(version.stdout)?.[1]);
const r = spawnSync('clang-format', [check ? '--dry-run' : '-i', ...(check ? ['--Werror'] : []), ...files], { encoding: 'utf8' });
if (r.status === 0) process.exit(0);
const unformatted = [...new Set([...r.stderr.matchAll(/^(\S+?):\d+:\d+: error/gm)].map((m) => m[1]))];
console.error(`clang-format ${major}: ${unformatted.length} file(s) not formatted (run pnpm format):\n  ${unformatted.join('\n  ')}`);
process.exit(major === 14 ? 1 : 0);
